#!/usr/bin/env python3
"""Puts two SVG heatmaps side by side, each cropped to its first WIDTH pixels, as one SVG.

How docs/ntm-copy-memory.png was made from `attend align --memory --format svg`'s write and
read pictures of one sentence (a development tool; rsvg-convert comes with Debian's librsvg2-bin):

    Scripts/side-by-side-svg.py OUT/000001.write.svg OUT/000001.read.svg both.svg 880
    rsvg-convert both.svg -o docs/ntm-copy-memory.png
"""
import re
import sys

left, right, out, width = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
parts, x, height = [], 0.0, 0.0
for path in (left, right):
    document = re.sub(r'^<\?xml[^>]*>\s*', '', open(path, encoding='utf-8').read())
    h = float(re.search(r'height="([0-9.]+)"', document).group(1))
    height = max(height, h)
    # The root element, moved to x and cropped to `width` by its viewBox.
    document = re.sub(r'<svg ([^>]*?)width="[0-9.]+" height="[0-9.]+" viewBox="0 0 [0-9.]+ [0-9.]+"',
                      lambda m: f'<svg {m.group(1)}x="{x}" y="0" width="{width}" height="{h}" viewBox="0 0 {width} {h}"',
                      document, count=1)
    parts.append(document)
    x += width + 20
total = x - 20
with open(out, 'w', encoding='utf-8') as f:
    f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
            f'width="{total}" height="{height}" viewBox="0 0 {total} {height}">\n'
            f'<rect width="100%" height="100%" fill="#ffffff"/>\n' + '\n'.join(parts) + '</svg>\n')
