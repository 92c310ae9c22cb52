-- expect: unsafe
-- hazard: renaming an enum value breaks the running application version that still writes 'shipped'
-- rules: renaming-enum-value
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TYPE order_status RENAME VALUE 'shipped' TO 'dispatched';
