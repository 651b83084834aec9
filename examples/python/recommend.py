"""Product recommendations: the example's Python tool.

Python endpoints run inside mxcp's embedded interpreter. They query the
project's DuckDB through `db.execute` (the same database, secrets and SQL
functions as the SQL tools, including the plugin's `price_label_shop`), and
an `@on_init` hook prepares what every call shares.
"""

from mxcp.runtime import db, mcp, on_init

BEST_SELLERS = []


@on_init
def load_best_sellers():
    """Once per (re)load: the in-stock products ranked by units sold, for
    customers with no history yet."""
    try:
        rows = db.execute(
            """
            SELECT p.product_id
            FROM products p LEFT JOIN orders o USING (product_id)
            WHERE p.in_stock
            GROUP BY p.product_id
            ORDER BY coalesce(sum(o.quantity), 0) DESC, p.product_id
            """
        )
    except RuntimeError as e:  # the database is not seeded yet
        print(f"recommendations: no catalogue yet ({e})")
        return
    BEST_SELLERS[:] = [r["product_id"] for r in rows]
    print(f"recommendations: {len(BEST_SELLERS)} products ranked")


def recommend_products(customer_id: int, limit: int = 3) -> list:
    """In-stock products the customer has not bought, from the categories
    they buy most; best sellers for a customer without orders."""
    mcp.info(f"recommending for customer {customer_id}")
    bought = db.execute(
        """
        SELECT p.category, count(*) AS n, list(p.product_id) AS ids
        FROM orders o JOIN products p USING (product_id)
        WHERE o.customer_id = $customer_id AND o.status <> 'returned'
        GROUP BY p.category
        """,
        {"customer_id": customer_id},
    )
    owned = {pid for row in bought for pid in row["ids"]}
    rank = {row["category"]: row["n"] for row in bought}
    products = db.execute(
        """
        SELECT product_id, name, category, price, price_label_shop(price) AS label
        FROM products WHERE in_stock ORDER BY product_id
        """
    )
    candidates = [p for p in products if p["product_id"] not in owned]
    if rank:
        candidates = [p for p in candidates if p["category"] in rank]
        candidates.sort(key=lambda p: (-rank[p["category"]], p["price"]))
    else:
        order = {pid: i for i, pid in enumerate(BEST_SELLERS)}
        candidates.sort(key=lambda p: order.get(p["product_id"], len(order)))
    return candidates[:limit]
