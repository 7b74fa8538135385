//! Which process opened a connection: its socket's inode from `/proc/net/tcp`, then the
//! process holding that socket, recognised by its command line (see `spec::Source`).

use super::Source;
use std::net::SocketAddr;

/// The data center of the process that connected from `peer` to our `local` address.
pub fn datacenter(peer: SocketAddr, local: SocketAddr, sources: &[Source]) -> Option<String> {
    let inode = socket_inode(peer, local)?;
    let target = format!("socket:[{inode}]");
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let pid = entry.file_name();
        let Some(pid) = pid
            .to_str()
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline);
        let Some(source) = sources.iter().find(|s| cmdline.contains(&s.cmdline)) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        let owns = fds.flatten().any(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == target.as_str())
        });
        if owns {
            return Some(source.dc.clone());
        }
    }
    None
}

/// The inode of the socket whose local end is `peer` and remote end `local`.
fn socket_inode(peer: SocketAddr, local: SocketAddr) -> Option<u64> {
    let (want_local, want_remote) = (hex(peer)?, hex(local)?);
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().find_map(|file| {
        let table = std::fs::read_to_string(file).ok()?;
        find_inode(&table, &want_local, &want_remote)
    })
}

fn find_inode(table: &str, local: &str, remote: &str) -> Option<u64> {
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        (f.len() > 9 && f[1] == local && f[2] == remote)
            .then(|| f[9].parse().ok())
            .flatten()
    })
}

/// An IPv4 address as `/proc/net/tcp` writes it: `0100007F:1F90` for 127.0.0.1:8080.
fn hex(addr: SocketAddr) -> Option<String> {
    match addr {
        SocketAddr::V4(a) => Some(format!(
            "{:08X}:{:04X}",
            u32::from_le_bytes(a.ip().octets()),
            a.port()
        )),
        SocketAddr::V6(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_as_proc_net_tcp_does() {
        assert_eq!(
            hex("127.0.0.1:8080".parse().unwrap()).as_deref(),
            Some("0100007F:1F90")
        );
    }

    #[test]
    fn finds_the_inode_of_the_matching_row() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 0100007F:0050 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 20 4 30 10 -1\n";
        assert_eq!(
            find_inode(table, "0100007F:1F90", "0100007F:0050"),
            Some(4242)
        );
        assert_eq!(find_inode(table, "0100007F:0050", "0100007F:1F90"), None);
    }

    #[test]
    fn a_connection_from_this_process_is_recognised() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_server, peer) = listener.accept().unwrap();
        let me = std::fs::read(format!("/proc/{}/cmdline", std::process::id())).unwrap();
        let marker = String::from_utf8_lossy(&me)
            .split('\0')
            .next()
            .unwrap()
            .to_owned();
        let sources = [Source {
            dc: "dc7".into(),
            cmdline: marker,
        }];
        let local = listener.local_addr().unwrap();
        assert_eq!(datacenter(peer, local, &sources).as_deref(), Some("dc7"));
        drop(client);
    }
}
