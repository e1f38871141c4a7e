//! Reading all signatures of an image from a lookaside store, with containers/image's walk semantics.
//! OWNER: helper B (network).
