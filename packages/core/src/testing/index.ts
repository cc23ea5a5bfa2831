// In-memory implementations for unit tests of pure logic (never the only test of a server-backed component).
export {};
