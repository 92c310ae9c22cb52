-- Unsafe: a plain CREATE INDEX blocks writes to orders for the whole build.
CREATE INDEX orders_status_idx ON orders (status);
