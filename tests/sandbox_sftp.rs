//! The sandbox's embedded SFTP server, driven with ssh2 (libssh2) directly: password auth,
//! listing, full download checked against the generator's checksum, a large read at an
//! offset (as a resuming, pipelining client does), and a wrong password rejected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use icims_onboard::sandbox::model::Object;
use icims_onboard::sandbox::{Sandbox, SandboxConfig, SandboxInfo};
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpStream;
use std::path::Path;

fn session(info: &SandboxInfo, password: &str) -> Result<ssh2::Session, ssh2::Error> {
    let tcp = TcpStream::connect((info.sftp.host.as_str(), info.sftp.port)).unwrap();
    let mut s = ssh2::Session::new()?;
    s.set_tcp_stream(tcp);
    s.handshake()?;
    s.userauth_password(&info.sftp.username, password)?;
    Ok(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_download_the_export() {
    // Big enough that the people file exceeds 1 MiB.
    let sb = Sandbox::start(SandboxConfig {
        people: 9000,
        seed: 41,
        ..Default::default()
    })
    .await
    .unwrap();
    let info = sb.info();
    let tenant = sb.tenant();
    let people = tenant.export_file(Object::Person).unwrap().clone();
    assert!(people.bytes > 1024 * 1024, "{}", people.bytes);
    let expected: Vec<(String, u64, String)> = tenant
        .export_files
        .iter()
        .map(|f| (f.file.clone(), f.bytes, f.sha256.clone()))
        .collect();
    let local = std::fs::read(Path::new(&info.export.dir).join(&people.file)).unwrap();

    tokio::task::spawn_blocking(move || {
        let s = session(&info, &info.sftp.password).unwrap();
        assert!(s.authenticated());
        // Host key is the one announced.
        let (key, _) = s.host_key().unwrap();
        let hash = s.host_key_hash(ssh2::HashType::Sha256).unwrap();
        assert!(!key.is_empty());
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(hash);
        assert_eq!(format!("SHA256:{b64}"), info.sftp.host_key_sha256);

        let sftp = s.sftp().unwrap();
        let mut listed: Vec<(String, u64)> = sftp
            .readdir(Path::new(&info.sftp.path))
            .unwrap()
            .into_iter()
            .map(|(p, st)| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    st.size.unwrap(),
                )
            })
            .collect();
        listed.sort();
        let mut want: Vec<(String, u64)> =
            expected.iter().map(|(f, b, _)| (f.clone(), *b)).collect();
        want.sort();
        assert_eq!(listed, want);
        assert!(sftp.stat(Path::new(&info.sftp.path)).unwrap().is_dir());

        for (file, bytes, sha) in &expected {
            let path = Path::new(&info.sftp.path).join(file);
            assert_eq!(sftp.stat(&path).unwrap().size, Some(*bytes));
            let mut f = sftp.open(&path).unwrap();
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).unwrap();
            assert_eq!(buf.len() as u64, *bytes);
            assert_eq!(&hex::encode(Sha256::digest(&buf)), sha);
        }

        // Resume: a 1 MiB read from an offset returns exactly the file's bytes there.
        let offset = 123_457u64;
        let mut f = sftp
            .open(Path::new(&info.sftp.path).join(&people.file))
            .unwrap();
        f.seek(SeekFrom::Start(offset)).unwrap();
        let mut chunk = vec![0u8; 1024 * 1024];
        let mut got = 0;
        while got < chunk.len() {
            let n = f.read(&mut chunk[got..]).unwrap();
            if n == 0 {
                break;
            }
            got += n;
        }
        assert_eq!(got, chunk.len());
        assert_eq!(
            &chunk[..],
            &local[offset as usize..offset as usize + chunk.len()]
        );

        // Missing files and writes are refused.
        assert!(
            sftp.open(Path::new(&info.sftp.path).join("nope.csv"))
                .is_err()
        );
        assert!(
            sftp.create(&Path::new(&info.sftp.path).join("new.csv"))
                .is_err()
        );

        // Wrong password is rejected.
        assert!(session(&info, "wrong-password").is_err());
    })
    .await
    .unwrap();
}
