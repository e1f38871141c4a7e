//! Signature stores: `file://` trees (read, staging writes) and `http(s)://` servers (read).

pub mod file;
pub mod http;

/// containers/image reads at most this many signatures per image (`server provided 128 signatures, …`).
pub const MAX_SIGNATURES: usize = 128;

/// The largest signature body accepted over HTTP (`iolimits.MaxSignatureBodySize`, 4 MiB).
pub const MAX_SIGNATURE_BODY: u64 = 4 << 20;
