//! OpenPGP compression in a stored object is refused: cairn never writes it, and a
//! reader that inflated it could be handed a decompression bomb.

mod common;

use std::fs;

use common::forge::{gpg, gpg_with, stop_agent};
use common::{small_tree, World};

#[test]
fn a_signed_manifest_with_a_compression_layer_is_refused() {
    let w = World::new();
    let src = small_tree(&w, 1);
    w.backup(&[src.to_str().unwrap()]);
    let fpr = w.fingerprint();
    let home = gpg_with(&w);
    let snap = w.objects("snapshots")[0].clone();
    let plain = gpg(home.path(), &["--decrypt"], &fs::read(&snap).unwrap());
    let edited = String::from_utf8(plain)
        .unwrap()
        .replace("\"tags\": []", "\"tags\": [\"forged\"]");
    assert!(edited.contains("forged"), "{edited}");

    // Signed by the repository key itself: only the compression layer is wrong.
    let sign = |compress: &str| {
        let forged = gpg(
            home.path(),
            &[
                "--compress-algo",
                compress,
                "--sign",
                "--encrypt",
                "-r",
                &fpr,
                "-u",
                &fpr,
            ],
            edited.as_bytes(),
        );
        let name = blake3::hash(&forged).to_hex().to_string();
        fs::write(w.repo.join("snapshots").join(&name), &forged).unwrap();
        (forged, name)
    };
    let (forged, name) = sign("zlib");
    let packets = gpg(home.path(), &["--list-packets"], &forged);
    assert!(
        String::from_utf8_lossy(&packets).contains("compressed packet"),
        "gpg did not compress"
    );
    let out = w.run(&["snapshots"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("snapshots/{name}")) && err.contains("corrupt or tampered"),
        "{err}"
    );
    fs::remove_file(w.repo.join("snapshots").join(&name)).unwrap();

    // The same manifest without compression is read: the refusal is the layer's.
    sign("none");
    let tags: Vec<String> = w
        .snapshots()
        .iter()
        .flat_map(|s| s["tags"].as_array().unwrap().clone())
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    assert_eq!(tags, ["forged"]);
    stop_agent(home.path());
}
