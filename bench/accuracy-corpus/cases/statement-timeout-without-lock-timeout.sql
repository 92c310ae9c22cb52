-- expect: unsafe
-- hazard: only statement_timeout is set (15 minutes): ALTER TABLE may wait that long for its ACCESS EXCLUSIVE lock while all queries on orders queue behind it
-- rules: statement-timeout-without-lock-timeout, require-lock-timeout
-- schema: app.sql

SET statement_timeout = '15min';

ALTER TABLE orders ADD COLUMN gift_message text;
