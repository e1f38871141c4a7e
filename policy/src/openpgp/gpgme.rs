//! The `gpgme.Signature` value the GPGME mechanism prints (Go `%#v`) when it rejects a signature.

use std::fmt;

use crate::error::go_quote;

/// `GPG_ERR_SOURCE_GPGME`, shifted into place: statuses GPGME derives from gpg's `BADSIG`, `EXPSIG`, …
/// lines carry it; statuses copied from an `ERRSIG` line do not.
const SOURCE_GPGME: u32 = 7 << 24;

/// gpg-error codes used here.
pub(crate) mod code {
    /// `GPG_ERR_PUBKEY_ALGO`.
    pub(crate) const PUBKEY_ALGO: u32 = 4;
    /// `GPG_ERR_DIGEST_ALGO`.
    pub(crate) const DIGEST_ALGO: u32 = 5;
    /// `GPG_ERR_BAD_SIGNATURE`.
    pub(crate) const BAD_SIGNATURE: u32 = 8;
    /// `GPG_ERR_NO_PUBKEY`.
    pub(crate) const NO_PUBKEY: u32 = 9;
    /// `GPG_ERR_TIME_CONFLICT`.
    pub(crate) const TIME_CONFLICT: u32 = 39;
    /// `GPG_ERR_CERT_REVOKED`.
    pub(crate) const CERT_REVOKED: u32 = 94;
    /// `GPG_ERR_WRONG_KEY_USAGE`.
    pub(crate) const WRONG_KEY_USAGE: u32 = 125;
    /// `GPG_ERR_KEY_EXPIRED`.
    pub(crate) const KEY_EXPIRED: u32 = 153;
    /// `GPG_ERR_SIG_EXPIRED`.
    pub(crate) const SIG_EXPIRED: u32 = 154;
}

/// `GPGME_SIGSUM_*` bits.
mod sigsum {
    pub(super) const RED: u32 = 0x4;
    pub(super) const KEY_REVOKED: u32 = 0x10;
    pub(super) const KEY_EXPIRED: u32 = 0x20;
    pub(super) const SIG_EXPIRED: u32 = 0x40;
    pub(super) const KEY_MISSING: u32 = 0x80;
    pub(super) const SYS_ERROR: u32 = 0x800;
}

/// What gpg reported for one signature that is not good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// `BADSIG`: the cryptographic check failed.
    Bad,
    /// `EXPSIG`: good, but the signature has expired.
    SigExpired,
    /// `EXPKEYSIG`: good, but the (sub)key has expired.
    KeyExpired,
    /// `REVKEYSIG`: good, but the (sub)key or its primary key is revoked.
    KeyRevoked,
    /// `ERRSIG` with gpg's error code: the signature could not be checked.
    Err(u32),
}

/// The fields of proglottis/gpgme's `Signature` that vary in our setting. `PKATrust`, `ChainModel`,
/// `Validity` and `ValidityReason` are always `0x0`, `false`, `0` (unknown: ephemeral keyrings carry no
/// ownertrust) and `error(nil)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GpgmeSignature {
    pub(crate) status: Status,
    /// Fingerprint or 16-hex key ID, as gpg's status line gave it.
    pub(crate) fingerprint: String,
    /// Unix seconds (0 if unknown).
    pub(crate) timestamp: i64,
    /// Unix seconds (0 if none).
    pub(crate) exp_timestamp: i64,
    /// GPGME's public key algorithm number (OpenPGP's, except ECC ones: see [`gpgme_pubkey_algo`]).
    pub(crate) pubkey_algo: u32,
    /// OpenPGP hash algorithm number.
    pub(crate) hash_algo: u32,
}

impl GpgmeSignature {
    /// A `BADSIG` result: gpg then reports only the issuer key ID.
    pub(crate) fn bad(key_id: String) -> Self {
        GpgmeSignature {
            status: Status::Bad,
            fingerprint: key_id,
            timestamp: 0,
            exp_timestamp: 0,
            pubkey_algo: 0,
            hash_algo: 0,
        }
    }

    fn status_value(&self) -> u32 {
        match self.status {
            Status::Bad => SOURCE_GPGME | code::BAD_SIGNATURE,
            Status::SigExpired => SOURCE_GPGME | code::SIG_EXPIRED,
            Status::KeyExpired => SOURCE_GPGME | code::KEY_EXPIRED,
            Status::KeyRevoked => SOURCE_GPGME | code::CERT_REVOKED,
            Status::Err(rc) => rc,
        }
    }

    /// GPGME's `calc_sig_summary` for validity "unknown".
    fn summary(&self) -> u32 {
        match self.status {
            Status::Bad => sigsum::RED,
            Status::SigExpired => sigsum::SIG_EXPIRED,
            Status::KeyExpired => sigsum::KEY_EXPIRED,
            Status::KeyRevoked => sigsum::KEY_REVOKED,
            Status::Err(code::NO_PUBKEY) => sigsum::KEY_MISSING,
            Status::Err(_) => sigsum::SYS_ERROR,
        }
    }
}

impl fmt::Display for GpgmeSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gpgme.Signature{{Summary:{}, Fingerprint:{}, Status:gpgme.Error{{err:{:#x}}}, Timestamp:{}, \
             ExpTimestamp:{}, WrongKeyUsage:false, PKATrust:0x0, ChainModel:false, Validity:0, \
             ValidityReason:error(nil), PubkeyAlgo:{}, HashAlgo:{}}}",
            self.summary(),
            go_quote(&self.fingerprint),
            self.status_value(),
            GoTime(self.timestamp),
            GoTime(self.exp_timestamp),
            self.pubkey_algo,
            self.hash_algo,
        )
    }
}

/// GPGME's number for an OpenPGP public key algorithm (`_gpgme_map_pk_algo`).
pub(crate) fn gpgme_pubkey_algo(openpgp: u8) -> u32 {
    match openpgp {
        18 => 302, // ECDH
        19 => 301, // ECDSA
        22 => 303, // EdDSA
        n => u32::from(n),
    }
}

/// Go's `%#v` of `time.Unix(secs, 0)`: `time.Date(2025, time.June, 24, 10, 0, 0, 0, time.Local)`.
///
/// Go prints the local civil time; we print UTC, which is identical when podman runs with `TZ=UTC`
/// (as in containers) and differs only in the clock fields otherwise.
struct GoTime(i64);

impl fmt::Display for GoTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let month = MONTHS
            .get((m as usize).wrapping_sub(1))
            .copied()
            .unwrap_or("January");
        write!(
            f,
            "time.Date({y}, time.{month}, {d}, {}, {}, {}, 0, time.Local)",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_format() {
        assert_eq!(
            GoTime(0).to_string(),
            "time.Date(1970, time.January, 1, 0, 0, 0, 0, time.Local)"
        );
        assert_eq!(
            GoTime(1_750_759_200).to_string(),
            "time.Date(2025, time.June, 24, 10, 0, 0, 0, time.Local)"
        );
        assert_eq!(
            GoTime(1_750_712_458).to_string(),
            "time.Date(2025, time.June, 23, 21, 0, 58, 0, time.Local)"
        );
        assert_eq!(
            GoTime(951_782_400).to_string(),
            "time.Date(2000, time.February, 29, 0, 0, 0, 0, time.Local)"
        );
    }

    #[test]
    fn expired_text_matches_skopeo() {
        let s = GpgmeSignature {
            status: Status::SigExpired,
            fingerprint: "08CD26E446E2E95249B7A405E932F44B23E8DD43".into(),
            timestamp: 1_750_712_458,
            exp_timestamp: 1_750_759_200,
            pubkey_algo: 1,
            hash_algo: 8,
        };
        // Observed with skopeo 1.9.3 (GPGME) standalone-verify, TZ=UTC.
        assert_eq!(
            s.to_string(),
            "gpgme.Signature{Summary:64, Fingerprint:\"08CD26E446E2E95249B7A405E932F44B23E8DD43\", \
             Status:gpgme.Error{err:0x700009a}, Timestamp:time.Date(2025, time.June, 23, 21, 0, 58, 0, time.Local), \
             ExpTimestamp:time.Date(2025, time.June, 24, 10, 0, 0, 0, time.Local), WrongKeyUsage:false, \
             PKATrust:0x0, ChainModel:false, Validity:0, ValidityReason:error(nil), PubkeyAlgo:1, HashAlgo:8}"
        );
    }
}
