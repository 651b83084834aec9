-- Seed data for the example project. Idempotent: every table is replaced.
CREATE OR REPLACE TABLE customers (
    customer_id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    country VARCHAR NOT NULL,
    signed_up DATE NOT NULL,
    tier VARCHAR NOT NULL
);
INSERT INTO customers VALUES
    (1, 'Ada Lovelace', 'ada@example.com', 'UK', DATE '2023-01-15', 'gold'),
    (2, 'Grace Hopper', 'grace@example.com', 'US', DATE '2023-03-02', 'silver'),
    (3, 'Alan Turing', 'alan@example.com', 'UK', DATE '2023-06-21', 'bronze'),
    (4, 'Katherine Johnson', 'katherine@example.com', 'US', DATE '2024-02-29', 'gold'),
    (5, 'Edsger Dijkstra', 'edsger@example.com', 'NL', DATE '2024-07-01', 'silver');

CREATE OR REPLACE TABLE products (
    product_id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    price DECIMAL(10, 2) NOT NULL,
    in_stock BOOLEAN NOT NULL
);
INSERT INTO products VALUES
    (10, 'Mechanical keyboard', 'hardware', 129.00, true),
    (11, 'Ergonomic mouse', 'hardware', 59.50, true),
    (12, '4K monitor', 'hardware', 399.99, false),
    (20, 'SQL for analysts', 'books', 39.90, true),
    (21, 'The art of DuckDB', 'books', 45.00, true),
    (30, 'Data team workshop', 'services', 1200.00, true);

CREATE OR REPLACE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    ordered_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL
);
INSERT INTO orders VALUES
    (100, 1, 10, 1, TIMESTAMP '2024-01-05 10:15:00', 'delivered'),
    (101, 1, 20, 2, TIMESTAMP '2024-01-20 16:40:00', 'delivered'),
    (102, 2, 11, 1, TIMESTAMP '2024-02-11 09:05:00', 'delivered'),
    (103, 3, 21, 1, TIMESTAMP '2024-02-28 13:30:00', 'returned'),
    (104, 4, 30, 1, TIMESTAMP '2024-03-03 11:00:00', 'delivered'),
    (105, 4, 12, 2, TIMESTAMP '2024-03-15 18:20:00', 'shipped'),
    (106, 5, 20, 3, TIMESTAMP '2024-03-29 08:45:00', 'pending'),
    (107, 2, 10, 1, TIMESTAMP '2024-04-02 12:00:00', 'pending');
