// Wire protocol v1, the pure module: message table, packets, cookies, signing payloads and the
// nonce book. docs/protocol.md is its reference. Import from here.

export * from './compact-receipt.js';
export * from './cookie.js';
export * from './encode-packet.js';
export * from './message-types.js';
export * from './nonce-book.js';
export * from './packet.js';
export * from './receipt-rtt.js';
export * from './signing.js';
