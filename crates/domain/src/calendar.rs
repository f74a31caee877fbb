//! Working days in England.
