"""The protobuf side of busctl: the compiled module's descriptors and the records on the wire."""
