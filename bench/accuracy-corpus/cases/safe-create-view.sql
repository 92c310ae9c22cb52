-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

CREATE VIEW order_summaries AS
SELECT o.id, o.placed_at, o.status, o.total, u.email
FROM orders o
JOIN users u ON u.id = o.user_id;
