import { expect, it } from 'vitest';
import { wsUrlFor } from './live';

it('derives the graphql-transport-ws URL from the server URL', () => {
  expect(wsUrlFor('http://127.0.0.1:8080/')).toBe('ws://127.0.0.1:8080/query');
  expect(wsUrlFor('https://cdp.example.com/query')).toBe('wss://cdp.example.com/query');
  expect(wsUrlFor('h:1')).toBe('ws://h:1/query');
});
