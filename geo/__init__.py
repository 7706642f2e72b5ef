"""Pure spatial code: CRS handling, validation and repair, H3, readers, road graphs.

Nothing here opens a socket or a database session; functions take and return
GeoDataFrames, arrays and dataclasses.
"""
