// The second build's entry: the same page code, after a vendor module.
import './vendor';
import './main';
