// e2e hooks boot real apps against real servers: on a loaded 2-core machine that can take longer
// than jest's 5 s default. Tests with their own timeout keep it.
jest.setTimeout(60_000);
