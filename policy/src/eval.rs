//! `PolicyContext`: a compiled policy that answers "may this image run?".
//!
//! OWNER: lead. Being written.
