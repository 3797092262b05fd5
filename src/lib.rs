//! aiops facade (being written).
