//! `Keyring::from_blobs` against the real `gpg --import` (what containers/image's GPGME mechanism runs).
//!
//! * For blobs built from the upstream key fixtures (concatenations, binary keyrings followed by more
//!   data, truncations at packet boundaries and inside packets, damaged armor, junk, legacy, unknown and
//!   malformed packets, compressed keyrings, keys without (valid) user IDs, secret keys, several blobs),
//!   the public keys gpg reports as imported (`IMPORT_OK` status lines; the identities containers/image
//!   trusts, which also repeat secret keys) must equal [`Keyring::fingerprints`].
//! * A revocation certificate made by gpg must revoke the key exactly when gpg applies it.
//!
//! Needs `gpg`, and for the first test the upstream fixtures (`$CONTAINERS_POLICY_UPSTREAM_FIXTURES`,
//! else `../shared/upstream-fixtures` beside the repository); prints a skip message and passes without
//! them.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::SystemTime,
};

use containers_policy::openpgp::{Keyring, verify};

fn fixtures_dir() -> Option<PathBuf> {
    let dir = containers_policy_testsupport::upstream::source().join("signature/fixtures");
    dir.join("public-key-1.gpg").is_file().then_some(dir)
}

fn have_gpg() -> bool {
    Command::new("gpg")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The fingerprints of gpg's `IMPORT_OK` lines for public keys (not those reporting a secret part) when
/// importing `blobs` (one `--import` each) into a fresh home, in order.
fn gpg_import(blobs: &[&[u8]]) -> Vec<String> {
    let home = tempfile::tempdir().expect("tempdir");
    let mut out = Vec::new();
    for (i, blob) in blobs.iter().enumerate() {
        let file = home.path().join(format!("blob-{i}"));
        std::fs::write(&file, blob).expect("write blob");
        let res = Command::new("gpg")
            .arg("--homedir")
            .arg(home.path())
            .args(["--batch", "--no-tty", "--status-fd", "1", "--import"])
            .arg(&file)
            .stderr(Stdio::null())
            .output()
            .expect("running gpg");
        for line in String::from_utf8_lossy(&res.stdout).lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            // Reports of secret parts (reason flag 16) repeat a key reported for its public part.
            if f.len() >= 4
                && f[0] == "[GNUPG:]"
                && f[1] == "IMPORT_OK"
                && f[2].parse::<u32>().is_ok_and(|r| r & 16 == 0)
            {
                out.push(f[3].to_owned());
            }
        }
    }
    // Stop the agent gpg may have started for secret keys.
    let _ = Command::new("gpgconf")
        .arg("--homedir")
        .arg(home.path())
        .args(["--kill", "gpg-agent"])
        .stderr(Stdio::null())
        .status();
    out
}

/// Offsets of the packets of a binary keyring (old and new format headers, no partial lengths).
fn packet_offsets(bin: &[u8]) -> Vec<usize> {
    let mut offs = Vec::new();
    let mut i = 0;
    while i < bin.len() {
        offs.push(i);
        let ctb = bin[i];
        let (hlen, len) = if ctb & 0x40 != 0 {
            let c = usize::from(bin[i + 1]);
            if c < 192 {
                (2, c)
            } else if c < 224 {
                (3, (c - 192) * 256 + usize::from(bin[i + 2]) + 192)
            } else {
                let l = u32::from_be_bytes([bin[i + 2], bin[i + 3], bin[i + 4], bin[i + 5]]);
                (6, l as usize)
            }
        } else {
            match ctb & 3 {
                0 => (2, usize::from(bin[i + 1])),
                1 => (3, usize::from(u16::from_be_bytes([bin[i + 1], bin[i + 2]]))),
                _ => (
                    5,
                    u32::from_be_bytes([bin[i + 1], bin[i + 2], bin[i + 3], bin[i + 4]]) as usize,
                ),
            }
        };
        i += hlen + len;
    }
    offs
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

struct Cases {
    cases: Vec<(String, Vec<Vec<u8>>)>,
}

impl Cases {
    fn add(&mut self, name: impl Into<String>, blobs: Vec<Vec<u8>>) {
        self.cases.push((name.into(), blobs));
    }
    fn one(&mut self, name: impl Into<String>, blob: Vec<u8>) {
        self.add(name, vec![blob]);
    }
}

fn build_cases(dir: &Path) -> Cases {
    let read = |n: &str| std::fs::read(dir.join(n)).expect("fixture");
    let k1 = read("public-key-1.gpg"); // binary, 08CD…
    let k2 = read("public-key-2.gpg"); // binary, F2B5…
    let ka = read("public-key.gpg"); // armored 08CD…
    let ring = read("pubring.gpg"); // binary, four keys
    let sec = read("secring.gpg"); // binary secret keys
    let sub = read("public-key-with-subkey.gpg"); // armored
    let revsub = read("public-key-with-revoked-subkey.gpg"); // armored
    let mut c = Cases { cases: Vec::new() };

    for (n, b) in [
        ("k1", &k1),
        ("k2", &k2),
        ("ka", &ka),
        ("ring", &ring),
        ("sec", &sec),
        ("sub", &sub),
        ("revsub", &revsub),
    ] {
        c.one(n, b.clone());
    }
    // Binary followed by more data: the key being read when the unreadable data comes is dropped.
    c.one("k1+ka", cat(&[&k1, &ka]));
    c.one("k1+k2+ka", cat(&[&k1, &k2, &ka]));
    c.one("ring+ka", cat(&[&ring, &ka]));
    c.one("k1+newline", cat(&[&k1, b"\n"]));
    c.one("ring+newline", cat(&[&ring, b"\n"]));
    c.one("k1+zeros", cat(&[&k1, &[0, 0, 0, 0]]));
    c.one("k1+text", cat(&[&k1, b"trailing text\n"]));
    // Binary concatenations: duplicates are reported again ("unchanged").
    c.one("k1+k2", cat(&[&k1, &k2]));
    c.one("k1+k1", cat(&[&k1, &k1]));
    c.one("ring+ring", cat(&[&ring, &ring]));
    c.one("ring+k1", cat(&[&ring, &k1]));
    c.one("sec+ring", cat(&[&sec, &ring]));
    c.one("ring+sec", cat(&[&ring, &sec]));
    // Armored: all blocks, junk between, binary after the last block ignored.
    c.one("ka+k2", cat(&[&ka, &k2]));
    c.one("ka+sub", cat(&[&ka, &sub]));
    c.one("ka+ka", cat(&[&ka, &ka]));
    c.one(
        "junk+ka+junk+sub+junk",
        cat(&[b"hello\n", &ka, b"between\n", &sub, b"tail"]),
    );
    c.one("blank+k1", cat(&[b"\n", &k1]));
    c.one("blanks+ka", cat(&[b"\n\n", &ka]));
    c.one(
        "crlf",
        String::from_utf8_lossy(&ka)
            .replace('\n', "\r\n")
            .into_bytes(),
    );
    // Several blobs (keyPaths): separate imports into one keyring.
    c.add("k1|k1", vec![k1.clone(), k1.clone()]);
    c.add("k1+ka|k2", vec![cat(&[&k1, &ka]), k2.clone()]);
    c.add(
        "ka|garbage|ring",
        vec![ka.clone(), b"garbage".to_vec(), ring.clone()],
    );

    // Damaged armor.
    let text = String::from_utf8_lossy(&ka).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    let crc_at = lines
        .iter()
        .position(|l| l.starts_with('='))
        .expect("crc line");
    let join = |ls: &[String]| ls.join("\n").into_bytes();
    let owned: Vec<String> = lines.iter().map(|s| (*s).to_owned()).collect();
    let mut bad = owned.clone();
    let crc = &bad[crc_at];
    bad[crc_at] = format!(
        "={}{}",
        if &crc[1..2] == "A" { "B" } else { "A" },
        &crc[2..]
    );
    let badcrc = cat(&[&join(&bad), b"\n"]);
    c.one("badcrc", badcrc.clone());
    c.one("sub+badcrc", cat(&[&sub, &badcrc]));
    c.one("badcrc+sub", cat(&[&badcrc, &sub]));
    let mut short = owned.clone();
    short[crc_at] = owned[crc_at][..3].to_owned();
    c.one("short-crc", cat(&[&join(&short), b"\n"]));
    let mut nocrc = owned.clone();
    nocrc.remove(crc_at);
    c.one("no-crc", cat(&[&join(&nocrc), b"\n", &sub]));
    let noend: Vec<String> = owned
        .iter()
        .filter(|l| !l.starts_with("-----END"))
        .cloned()
        .collect();
    c.one("no-end-at-eof", join(&noend));
    c.one("no-end+sub", cat(&[&join(&noend), b"\n", &sub]));
    c.one("no-end+k2", cat(&[&join(&noend), b"\n", &k2]));
    let noblank: Vec<String> = owned
        .iter()
        .enumerate()
        .filter(|(i, l)| !(l.is_empty() && *i < 4))
        .map(|(_, l)| l.clone())
        .collect();
    c.one("no-blank-line", cat(&[&join(&noblank), b"\n"]));
    c.one("sub+no-blank-line", cat(&[&sub, &join(&noblank), b"\n"]));
    let mut junky = owned.clone();
    junky[crc_at - 1] = format!("{}!!", junky[crc_at - 1]);
    c.one("invalid-radix64-chars", cat(&[&join(&junky), b"\n"]));
    let mut wrong_type = owned.clone();
    wrong_type[0] = "-----BEGIN PGP SIGNATURE-----".to_owned();
    c.one("signature-armor", cat(&[&join(&wrong_type), b"\n", &sub]));

    // Truncations.
    let offs = packet_offsets(&k1);
    let mut cuts: Vec<usize> = (1..k1.len()).step_by(53).collect();
    for &o in &offs {
        cuts.extend([o.saturating_sub(1), o, o + 1, o + 3, o + 4, o + 8, o + 9]);
    }
    // Inside the subkey binding signature's subpacket areas and MPIs.
    if let Some(&last) = offs.last() {
        cuts.extend((last + 5..last + 60).step_by(4));
    }
    cuts.sort_unstable();
    cuts.dedup();
    for n in cuts.into_iter().filter(|&n| n > 0 && n < k1.len()) {
        c.one(format!("k1[..{n}]"), k1[..n].to_vec());
        c.one(format!("k2+k1[..{n}]"), cat(&[&k2, &k1[..n]]));
    }
    let roffs = packet_offsets(&ring);
    for &o in roffs.iter().step_by(3) {
        c.one(format!("ring[..{}]", o + 2), ring[..o + 2].to_vec());
    }

    // Edited packet streams.
    let p = |i: usize| offs[i]..offs.get(i + 1).copied().unwrap_or(k1.len());
    // A key without user ID (public key + subkey + binding).
    c.one("no-uid", cat(&[&k1[p(0)], &k1[p(3)], &k1[p(4)]]));
    c.one("no-uid+k2", cat(&[&k1[p(0)], &k1[p(3)], &k1[p(4)], &k2]));
    // A user ID without its self-signature.
    c.one(
        "no-selfsig",
        cat(&[&k1[p(0)], &k1[p(1)], &k1[p(3)], &k1[p(4)]]),
    );
    // Packets before the first key are ignored.
    c.one("uid-first", cat(&[&k1[p(1)], &k1]));
    // A primary key of version 3: skipped with its packets up to the next key.
    let mut v3 = k1.clone();
    v3[3] = 3;
    c.one("v3+k2", cat(&[&v3, &k2]));
    c.one("k2+v3", cat(&[&k2, &v3]));
    let mut v5 = k1.clone();
    v5[3] = 5;
    c.one("v5+k2", cat(&[&v5, &k2]));
    // A subkey of version 3: a read error.
    let mut sub3 = k1.clone();
    sub3[offs[3] + 3] = 3;
    c.one("k2+subkey-v3+k2", cat(&[&k2, &sub3, &k2]));
    // Unknown (private) packet type 60, a marker packet and a type-0 packet.
    let unknown: &[u8] = &[0xc0 | 60, 3, 1, 2, 3];
    c.one(
        "unknown-packet",
        cat(&[&k1[..offs[3]], unknown, &k1[offs[3]..]]),
    );
    c.one("unknown-first", cat(&[unknown, &k1]));
    let marker: &[u8] = &[0xa8, 3, b'P', b'G', b'P'];
    c.one("marker+k1", cat(&[marker, &k1]));
    c.one(
        "bad-marker+k1",
        cat(&[&[0xa8, 3, b'X', b'G', b'P'], &k1[..]]),
    );
    c.one(
        "k2+bad-marker+k1",
        cat(&[&k2, &[0xa8, 3, b'X', b'G', b'P'], &k1[..]]),
    );
    c.one("type0+k1", cat(&[&[0x80, 2, 0, 0], &k1[..]]));
    // A too short signature packet is accepted (and useless); an unknown signature version is an error.
    c.one(
        "short-sig",
        cat(&[&k1[..offs[3]], &[0x88, 3, 4, 0x13, 1], &k1[offs[3]..]]),
    );
    let mut sigv9 = k1.clone();
    sigv9[offs[2] + 3] = 9;
    c.one("k2+sig-v9", cat(&[&k2, &sigv9]));
    // A comment packet, an over-long user ID.
    c.one(
        "comment",
        cat(&[&k1[..offs[3]], &[0xd0, 2, b'h', b'i'], &k1[offs[3]..]]),
    );
    let mut long_uid = vec![0xcd, 0xff, 0, 0, 0x0b, 0xb8];
    long_uid.extend(std::iter::repeat_n(b'a', 3000));
    c.one(
        "long-uid",
        cat(&[&k1[..offs[1]], &long_uid, &k1[offs[1]..]]),
    );
    // Compressed keyrings: gpg inflates them in place; what its decompressor read beyond the
    // compressed data (in 2 KiB chunks) is lost; corrupt data ends the import.
    let zip = |d: &[u8]| {
        new_packet(
            8,
            &cat(&[&[1], &miniz_oxide::deflate::compress_to_vec(d, 6)]),
        )
    };
    let zlib = |d: &[u8]| {
        new_packet(
            8,
            &cat(&[&[2], &miniz_oxide::deflate::compress_to_vec_zlib(d, 6)]),
        )
    };
    c.one("zip(ring)", zip(&ring));
    c.one("zlib(ring)", zlib(&ring));
    c.one("k2+zip(k1)", cat(&[&k2, &zip(&k1)]));
    c.one("zip(k1)+k2", cat(&[&zip(&k1), &k2]));
    c.one("zip(k1)+ring+ring", cat(&[&zip(&k1), &ring, &ring]));
    c.one(
        "zip(k1 head)+k1 tail",
        cat(&[&zip(&k1[..offs[4]]), &k1[offs[4]..]]),
    );
    c.one("zip(zlib(k1))", zip(&zlib(&k1)));
    c.one("stored(k1)", cat(&[&[0xa3, 0], &k1[..]]));
    let z = zlib(&ring);
    c.one("zlib(ring)[..3000]", z[..3000].to_vec());
    let mut bad_check = z.clone();
    let last = bad_check.len() - 1;
    bad_check[last] ^= 0xff; // Adler-32: all data is inflated, then gpg exits
    c.one("zlib(ring) bad checksum", bad_check);
    c.one("bzip2/garbage", new_packet(8, b"\x03BZh9garbage"));
    c.one(
        "compression algorithm 9",
        cat(&[&new_packet(8, &[9, 1, 2, 3]), &k1]),
    );

    // Armor quirks.
    c.one("ring armored", armor(&ring, true));
    c.one("ring armored, bad CRC", armor_bad_crc(&ring));
    c.one(
        "sub+ring armored, bad CRC",
        cat(&[&sub, &armor_bad_crc(&ring)]),
    );
    c.one("k1 armored, no CRC", armor(&k1, false));
    let crc_at_eof = armor(&k1, true);
    let cut = crc_at_eof
        .windows(9)
        .position(|w| w == b"\n-----END")
        .expect("footer");
    c.one("k1 armored, CRC line at EOF", crc_at_eof[..cut].to_vec());
    c.one(
        "two blocks, second without blank line",
        cat(&[&ka, &join(&noblank), b"\n"]),
    );
    c.one(
        "armored+binary without END",
        cat(&[&join(&noend[..noend.len() - 1]), b"\n", &k2]),
    );

    // Debian's GnuPG merges a copy without valid user IDs into a key it already has.
    c.one("k1+k1 without self-signature", cat(&[&k1, &k1[..offs[2]]]));
    c.one("k1 without self-signature+k1", cat(&[&k1[..offs[2]], &k1]));
    c.add(
        "k1|k1 without user ID",
        vec![k1.clone(), cat(&[&k1[p(0)], &k1[p(3)], &k1[p(4)]])],
    );

    // Secret keys (secring.gpg: F2B5… then 08CD…), as gpg's secret key import reports them.
    let so = packet_offsets(&sec);
    let sp = |i: usize| &sec[so[i]..so.get(i + 1).copied().unwrap_or(sec.len())];
    let (skey, suid, ssig, ssub, sbind) = (sp(0), sp(1), sp(2), sp(3), sp(4));
    let mut bad_bind = sbind.to_vec();
    let n = bad_bind.len();
    bad_bind[n - 5] ^= 0xff;
    let other_sig = sp(7); // the user ID signature of the other key
    for (name, block) in [
        ("sec", cat(&[skey, suid, ssig, ssub, sbind])),
        (
            "sec, bad subkey binding",
            cat(&[skey, suid, ssig, ssub, &bad_bind]),
        ),
        ("sec, no user ID", cat(&[skey, ssub, sbind])),
        ("sec, unsigned user ID", cat(&[skey, suid, ssub, sbind])),
        ("sec, unsigned user ID, no subkey", cat(&[skey, suid])),
        (
            "sec, foreign-signed user ID",
            cat(&[skey, suid, other_sig, ssub, sbind]),
        ),
        (
            "sec, unsigned user ID, bad binding",
            cat(&[skey, suid, ssub, &bad_bind]),
        ),
    ] {
        c.one(format!("{name}+k1"), cat(&[&block, &k1]));
        c.one(format!("{name}+k2"), cat(&[&block, &k2]));
        c.one(
            format!("{name}+uid-less k1+k1"),
            cat(&[&block, &k1[p(0)], &k1[p(3)], &k1[p(4)], &k1]),
        );
    }
    c
}

/// A new-format packet with a four-octet length.
fn new_packet(tag: u8, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).expect("packet length");
    cat(&[&[0xc0 | tag, 0xff], &len.to_be_bytes(), body])
}

fn crc24(data: &[u8]) -> u32 {
    let mut crc: u32 = 0xB7_04CE;
    for &b in data {
        crc ^= u32::from(b) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x100_0000 != 0 {
                crc ^= 0x186_4CFB;
            }
        }
    }
    crc & 0xFF_FFFF
}

/// ASCII armor (a public key block) of `bin`, with or without its CRC line.
fn armor_with_crc(bin: &[u8], crc: Option<u32>) -> Vec<u8> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(bin);
    let mut out = String::from("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    if let Some(crc) = crc {
        let bytes = crc.to_be_bytes();
        out.push('=');
        out.push_str(&base64::engine::general_purpose::STANDARD.encode(&bytes[1..]));
        out.push('\n');
    }
    out.push_str("-----END PGP PUBLIC KEY BLOCK-----\n");
    out.into_bytes()
}

fn armor(bin: &[u8], with_crc: bool) -> Vec<u8> {
    armor_with_crc(bin, with_crc.then(|| crc24(bin)))
}

fn armor_bad_crc(bin: &[u8]) -> Vec<u8> {
    armor_with_crc(bin, Some(crc24(bin) ^ 1))
}

#[test]
fn keyring_import_matches_gpg() {
    let Some(dir) = fixtures_dir() else {
        eprintln!("skipped: upstream fixtures not found (set CONTAINERS_POLICY_UPSTREAM_FIXTURES)");
        return;
    };
    if !have_gpg() {
        eprintln!("skipped: gpg not installed");
        return;
    }
    let cases = build_cases(&dir);
    assert!(cases.cases.len() > 100);
    let mut mismatches = Vec::new();
    let mut imported_any = 0;
    let mut imported_none = 0;
    for (name, blobs) in &cases.cases {
        let refs: Vec<&[u8]> = blobs.iter().map(Vec::as_slice).collect();
        let want = gpg_import(&refs);
        let got = Keyring::from_blobs(refs.iter().copied())
            .fingerprints()
            .to_vec();
        if want.is_empty() {
            imported_none += 1;
        } else {
            imported_any += 1;
        }
        if want != got {
            mismatches.push(format!("{name}: gpg {want:?}, ours {got:?}"));
        }
    }
    eprintln!(
        "{} cases: {imported_any} import keys, {imported_none} import none",
        cases.cases.len()
    );
    // The corpus exercises both outcomes.
    assert!(
        imported_any > 20 && imported_none > 20,
        "{imported_any} / {imported_none}"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ from gpg:\n{}",
        mismatches.len(),
        cases.cases.len(),
        mismatches.join("\n")
    );
}

fn gpg_in(home: &Path, args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new("gpg")
        .arg("--homedir")
        .arg(home)
        .args([
            "--batch",
            "--no-tty",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running gpg");
    if let Some(mut w) = child.stdin.take() {
        w.write_all(stdin.unwrap_or_default()).expect("gpg stdin");
    }
    child.wait_with_output().expect("gpg output")
}

/// gpg's verdict on `sig` after importing `blobs` into a fresh home: the `GOODSIG`/`REVKEYSIG`/… status.
fn gpg_verify_status(blobs: &[&[u8]], sig: &[u8]) -> String {
    let home = tempfile::tempdir().expect("tempdir");
    for blob in blobs {
        gpg_in(home.path(), &["--import"], Some(blob));
    }
    let out = gpg_in(
        home.path(),
        &["--status-fd", "1", "--verify", "-"],
        Some(sig),
    );
    let _ = Command::new("gpgconf")
        .arg("--homedir")
        .arg(home.path())
        .args(["--kill", "gpg-agent"])
        .status();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("[GNUPG:] "))
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .find(|w| ["GOODSIG", "REVKEYSIG", "EXPKEYSIG", "BADSIG", "ERRSIG"].contains(w))
        .unwrap_or("none")
        .to_owned()
}

/// A stand-alone revocation certificate (made by gpg at key generation) revokes the key when it comes
/// after the key (same blob or a later one), and is ignored when it comes first, as in gpg.
#[test]
fn revocation_certificates_apply_to_keys_imported_before() {
    if !have_gpg() {
        eprintln!("skipped: gpg not installed");
        return;
    }
    let home = tempfile::tempdir().expect("tempdir");
    let generated = gpg_in(
        home.path(),
        &[
            "--quick-gen-key",
            "Revocation Test <rev@test.invalid>",
            "ed25519",
            "sign",
            "never",
        ],
        None,
    );
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let public = gpg_in(home.path(), &["--armor", "--export"], None).stdout;
    let sig = gpg_in(home.path(), &["--sign"], Some(b"payload")).stdout;
    let rev_dir = home.path().join("openpgp-revocs.d");
    let rev_file = std::fs::read_dir(&rev_dir)
        .expect("revocation directory")
        .flatten()
        .next()
        .expect("a revocation certificate")
        .path();
    // gpg stores it with a colon before the armor header, to be removed before use.
    let rev = String::from_utf8_lossy(&std::fs::read(rev_file).expect("read revocation"))
        .replace(":-----BEGIN", "-----BEGIN")
        .into_bytes();
    let _ = Command::new("gpgconf")
        .arg("--homedir")
        .arg(home.path())
        .args(["--kill", "gpg-agent"])
        .status();

    let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("key", vec![public.clone()]),
        ("key+rev", vec![cat(&[&public, &rev])]),
        ("key|rev", vec![public.clone(), rev.clone()]),
        ("rev+key", vec![cat(&[&rev, &public])]),
        ("rev|key", vec![rev.clone(), public.clone()]),
    ];
    let mut revoked_seen = false;
    for (name, blobs) in cases {
        let refs: Vec<&[u8]> = blobs.iter().map(Vec::as_slice).collect();
        let keyring = Keyring::from_blobs(refs.iter().copied());
        assert_eq!(
            keyring.fingerprints(),
            gpg_import(&refs),
            "{name}: identities"
        );
        let ours = verify(&keyring, &sig, SystemTime::now());
        match gpg_verify_status(&refs, &sig).as_str() {
            "GOODSIG" => assert!(ours.is_ok(), "{name}: gpg accepts, we say {:?}", ours.err()),
            "REVKEYSIG" => {
                revoked_seen = true;
                let err = ours.err().map(|e| e.to_string()).unwrap_or_default();
                assert!(
                    err.contains("Summary:16"),
                    "{name}: gpg says revoked, we say {err:?}"
                );
            }
            other => panic!("{name}: unexpected gpg status {other}"),
        }
    }
    assert!(
        revoked_seen,
        "the revocation certificate took effect in gpg"
    );
}

/// The policy-level consequences (containers/image's messages for the upstream signed image): a binary
/// keyring followed by an armored one imports nothing, a binary keyring concatenated twice imports it.
#[test]
fn signed_by_key_data_follows_gpg_import() {
    use base64::Engine as _;
    use containers_policy::{ImageReference, Policy, PolicyContext, UnparsedImage};

    let Some(dir) = fixtures_dir() else {
        eprintln!("skipped: upstream fixtures not found (set CONTAINERS_POLICY_UPSTREAM_FIXTURES)");
        return;
    };
    let read = |n: &str| std::fs::read(dir.join(n)).expect("fixture");
    let (k1, k2, ka, ring) = (
        read("public-key-1.gpg"),
        read("public-key-2.gpg"),
        read("public-key.gpg"),
        read("pubring.gpg"),
    );
    let reference = ImageReference::parse("docker://testing/manifest:latest").expect("reference");
    // (The fixture's `manifest.json` is a symbolic link, stored as a text file here.)
    let image = UnparsedImage::from_blobs(
        reference,
        read("image.manifest.json"),
        &[read("dir-img-valid/signature-1")],
    );
    let verdict = |key_data: &[u8]| {
        let policy = serde_json::json!({"default": [{
            "type": "signedBy", "keyType": "GPGKeys",
            "keyData": base64::engine::general_purpose::STANDARD.encode(key_data),
        }]});
        let policy = Policy::from_slice(policy.to_string().as_bytes()).expect("policy");
        PolicyContext::new(policy)
            .is_running_image_allowed(&image)
            .map_err(|e| e.to_string())
    };
    assert_eq!(verdict(&k1), Ok(()));
    assert_eq!(verdict(&ka), Ok(()));
    assert_eq!(
        verdict(&cat(&[&k1, &ka])),
        Err("No public keys imported".to_owned())
    );
    assert_eq!(verdict(&cat(&[&ring, &ring])), Ok(()));
    assert_eq!(verdict(&cat(&[&ka, &k2])), Ok(()));
    // The key being read when the unreadable data starts (the signer, 08CD…) is dropped; F2B5… stays.
    let err = verdict(&cat(&[&k2, &k1, &ka])).expect_err("signer dropped");
    assert!(
        err.starts_with("Invalid GPG signature: gpgme.Signature{Summary:128"),
        "{err}"
    );
}
