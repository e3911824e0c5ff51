"""The observer page `live --serve` answers on plain HTTP GET / (static files, no code here).

index.html, observer.js and observer.css: plain JavaScript and a canvas, no CDN, so the page
works offline. It reads the WebSocket stream of the same origin (passing on the `?token=` of
its own URL) and shows each face's current label, a chart of valence per face over the last
60 s and the markers; a note typed there is placed as a marker (source "websocket").
"""
