//! The signature server (`containers-policy serve`). OWNER: helper C (server).
