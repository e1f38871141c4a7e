//! `containers-policy demo`: a self-contained tour. A throwaway key signs sample images into a temporary
//! lookaside tree (`<base>/<repository>@sha256=<hex>/signature-<N>`, as `skopeo copy --sign-by` writes a
//! staging store), and a sample policy judges a signed, an unsigned, a wrongly signed and a
//! mis-identified image.

use std::{process::ExitCode, time::SystemTime};

use containers_policy::{
    ImageReference, Policy, PolicyContext, UnparsedImage, manifest, openpgp::generate_key, simple,
};
use sigstore_lookaside::{Environment, RegistriesD, store::file};

const MANIFEST: &str = r#"{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1430,
      "digest": "sha256:54e3b4b9a5b6a4b2c1e6c8c0a62f1c3d94b2f6d1c5e0f4f7d3b7a8e1c9d2f0a1"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 2811478,
         "digest": "sha256:9d48c3bd43c520dc2784e868a780e976b207cbf493eaff8c6596eb871cbd9609"
      }
   ]
}"#;

struct Case {
    title: &'static str,
    reference: &'static str,
    /// (signing key, claimed identity) for each signature stored for the image.
    signatures: Vec<(usize, &'static str)>,
    expect_allowed: bool,
}

pub(crate) fn run() -> ExitCode {
    match run_inner() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::from(2)
        }
    }
}

fn run_inner() -> Result<bool, Box<dyn std::error::Error>> {
    let tmp = tempfile::Builder::new()
        .prefix("containers-policy-demo-")
        .tempdir()?;
    let root = tmp.path();
    let now = SystemTime::now();

    let trusted = generate_key("Demo Release Key <release@demo.invalid>")?;
    let stranger = generate_key("Somebody Else <stranger@demo.invalid>")?;
    let key_path = root.join("release-key.pub");
    std::fs::write(&key_path, &trusted.public_armored)?;
    let (trusted, stranger) = (trusted.signing_key, stranger.signing_key);
    let keys = [&trusted, &stranger];

    let policy_json = format!(
        r#"{{
    "default": [{{"type": "reject"}}],
    "transports": {{
        "docker": {{
            "registry.demo.invalid/team": [
                {{"type": "signedBy", "keyType": "GPGKeys", "keyPath": {key}}}
            ]
        }}
    }}
}}"#,
        key = serde_json::to_string(&key_path.display().to_string())?
    );
    let policy_path = root.join("policy.json");
    std::fs::write(&policy_path, &policy_json)?;
    let ctx = PolicyContext::new(Policy::from_path(&policy_path)?);

    let manifest_bytes = MANIFEST.as_bytes();
    let digest = manifest::manifest_digest(manifest_bytes)?;
    let lookaside = root.join("lookaside");
    // registries.d says where signatures live, as on a real node; writes go to its staging location.
    let registries_d = root.join("registries.d");
    std::fs::create_dir_all(&registries_d)?;
    std::fs::write(
        registries_d.join("demo.yaml"),
        format!(
            "docker:\n  registry.demo.invalid:\n    lookaside: file://{0}\n    lookaside-staging: file://{0}\n",
            lookaside.display()
        ),
    )?;
    let registries = RegistriesD::load_dir(&registries_d)?;
    let env = Environment::with_home(root, 1000);

    let cases = vec![
        Case {
            title: "signed by the release key",
            reference: "registry.demo.invalid/team/app:1.0",
            signatures: vec![(0, "registry.demo.invalid/team/app:1.0")],
            expect_allowed: true,
        },
        Case {
            title: "unsigned",
            reference: "registry.demo.invalid/team/tool:2.1",
            signatures: vec![],
            expect_allowed: false,
        },
        Case {
            title: "signed with the wrong key",
            reference: "registry.demo.invalid/team/web:3.0",
            signatures: vec![(1, "registry.demo.invalid/team/web:3.0")],
            expect_allowed: false,
        },
        Case {
            title: "signature claims another image",
            reference: "registry.demo.invalid/team/db:4.2",
            signatures: vec![(0, "registry.demo.invalid/team/app:1.0")],
            expect_allowed: false,
        },
    ];

    println!("containers-policy demo: a throwaway key, four images, one policy\n");
    println!("policy.json ({}):\n{policy_json}\n", policy_path.display());
    println!(
        "trusted key: {} (public key at {})",
        trusted.fingerprint(),
        key_path.display()
    );
    println!("lookaside store: {}\n", lookaside.display());

    let mut as_expected = true;
    for case in &cases {
        let reference = ImageReference::parse(&format!("docker://{}", case.reference))?;
        let docker = reference
            .docker_reference()
            .ok_or("demo references are docker references")?;
        let staging = registries.storage_base_url(docker, true, &env)?;
        let repo_dir = staging
            .file_path()
            .ok_or("the demo's staging store is a file:// URL")?;
        let signatures = case
            .signatures
            .iter()
            .map(|(key, claimed)| {
                simple::sign_docker_manifest(manifest_bytes, claimed, keys[*key], now)
            })
            .collect::<Result<Vec<_>, _>>()?;
        file::write_signatures(&repo_dir, &digest, &signatures)?;
        let base = registries.storage_base_url(docker, false, &env)?;
        let blobs = file::read_signatures(
            &base
                .file_path()
                .ok_or("the demo's lookaside is a file:// URL")?,
            &digest,
        )?;
        let image = UnparsedImage::from_blobs(reference, manifest_bytes.to_vec(), &blobs);
        let decision = ctx.evaluate(&image);
        let verdict = if decision.allowed() {
            "ALLOWED"
        } else {
            "DENIED "
        };
        println!("{:<34} {} {verdict}", case.title, image.reference());
        match &decision.result {
            Ok(()) => {
                let signer = decision
                    .requirements
                    .iter()
                    .flat_map(|r| &r.signatures)
                    .find_map(|s| s.result.as_ref().ok())
                    .map(|a| format!("signed by {} for {}", a.signer, a.docker_reference))
                    .unwrap_or_default();
                println!("{:<34} {signer}\n", "");
            }
            Err(e) => println!("{:<34} {e}\n", ""),
        }
        as_expected &= decision.allowed() == case.expect_allowed;
    }
    if as_expected {
        println!("All four verdicts are what podman, skopeo and CRI-O decide for the same inputs.");
    } else {
        println!("UNEXPECTED: a verdict differs from what containers/image decides.");
    }
    Ok(as_expected)
}
