//! Log template mining, threat detection over logs and security response
//!
//! (Under construction in this release.)
