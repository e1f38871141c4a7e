//! A Registry HTTP API v2 client: ping, authentication, manifests, and the signatures extension.
//! OWNER: helper B (network).
