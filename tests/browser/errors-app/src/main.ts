// Wires the page's one button to the checkout.
import { submitOrder } from './checkout';

document.getElementById('pay')?.addEventListener('click', () => submitOrder(7));
