"""Pure building blocks shared by both APIs: clock, ids, job lifecycle. No I/O, no Starlette."""
