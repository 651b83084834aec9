SELECT product_id, name, category, price, in_stock
FROM products
WHERE name ILIKE '%' || $query || '%'
  AND ($category IS NULL OR category = $category)
  AND ($max_price IS NULL OR price <= $max_price)
  AND (NOT $in_stock_only OR in_stock)
ORDER BY price, product_id
LIMIT $limit
