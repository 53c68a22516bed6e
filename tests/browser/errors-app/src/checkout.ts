// The checkout page's code: an order above the limit throws, inside a named function.
export interface Order {
  id: number;
  total: number;
}

export function checkTotal(order: Order): number {
  if (order.total > 100) throw new Error(`order ${order.id} exceeds the limit`);
  return order.total;
}

export function submitOrder(id: number): number {
  const order: Order = { id, total: 100 + id };
  return checkTotal(order);
}
