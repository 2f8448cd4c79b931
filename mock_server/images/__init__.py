"""Pure image work on bytes and PIL images (Pillow + NumPy): decoding uploads, rendering
outputs, merging HDR brackets. No I/O, no Starlette."""
