import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceColor, serviceHue } from './serviceColor.js';

test('a service keeps its colour, and names that differ get different hues', () => {
  assert.equal(serviceColor('checkout'), serviceColor('checkout'));
  const services = ['frontend', 'checkout', 'cart', 'payment', 'shipping', 'email', 'currency', 'ad'];
  const hues = new Set(services.map(serviceHue));
  assert.equal(hues.size, services.length);
  for (const hue of hues) assert.ok(hue >= 0 && hue < 360);
});
