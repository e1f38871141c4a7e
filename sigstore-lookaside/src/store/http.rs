//! `http(s)://` lookaside stores: reading. OWNER: helper B (network).
