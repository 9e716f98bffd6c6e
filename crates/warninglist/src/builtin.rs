//! The built-in lists: reserved addresses and names, and critical public
//! services. Both are on unless the builder turns them off.
//!
//! They are written from the IANA registries and the RFCs named on each
//! entry, as of 2024; the tests in `lists.rs` parse every entry.

/// Reserved and special-purpose address blocks that a partner's indicator has
/// no business pointing at: private, loopback, link-local, shared,
/// documentation, benchmarking, multicast and other non-global blocks.
///
/// From the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890)
/// and the multicast registries. Left out on purpose, because they are
/// globally reachable and a partner may legitimately see attacks from them:
/// 192.31.196.0/24 and 192.175.48.0/24 (AS112), 192.52.193.0/24 (AMT),
/// 192.88.99.0/24 (deprecated 6to4 relay anycast), 2001::/23 (IETF protocol
/// assignments, among them Teredo), 2002::/16 (6to4).
///
/// IPv4-mapped IPv6 addresses (`::ffff:0:0/96`) are not an entry: they are
/// checked as the IPv4 address they carry, so `::ffff:10.1.2.3` meets
/// `10.0.0.0/8` and `::ffff:8.8.8.8` meets the critical `8.8.8.8`.
pub const RESERVED_NETWORKS: &[&str] = &[
    "0.0.0.0/8",          // "this network", RFC 791 / RFC 1122
    "10.0.0.0/8",         // private use, RFC 1918
    "100.64.0.0/10",      // shared address space (carrier-grade NAT), RFC 6598
    "127.0.0.0/8",        // loopback, RFC 1122
    "169.254.0.0/16",     // link-local, RFC 3927
    "172.16.0.0/12",      // private use, RFC 1918
    "192.0.0.0/24",       // IETF protocol assignments, RFC 6890
    "192.0.2.0/24",       // documentation TEST-NET-1, RFC 5737
    "192.168.0.0/16",     // private use, RFC 1918
    "198.18.0.0/15",      // benchmarking, RFC 2544
    "198.51.100.0/24",    // documentation TEST-NET-2, RFC 5737
    "203.0.113.0/24",     // documentation TEST-NET-3, RFC 5737
    "224.0.0.0/4",        // multicast, RFC 5771
    "240.0.0.0/4",        // reserved, RFC 1112
    "255.255.255.255/32", // limited broadcast, RFC 919
    "::/128",             // unspecified, RFC 4291
    "::1/128",            // loopback, RFC 4291
    "64:ff9b::/96",       // IPv4/IPv6 translation (NAT64 well-known prefix), RFC 6052
    "64:ff9b:1::/48",     // local-use IPv4/IPv6 translation, RFC 8215
    "100::/64",           // discard-only, RFC 6666
    "2001:db8::/32",      // documentation, RFC 3849
    "3fff::/20",          // documentation, RFC 9637
    "fc00::/7",           // unique local, RFC 4193
    "fe80::/10",          // link-local unicast, RFC 4291
    "ff00::/8",           // multicast, RFC 4291
];

/// Reserved and special-use domain names; each covers its subdomains.
///
/// `localhost`, `invalid`, `test`, `example` and `example.com`, `.net`,
/// `.org` (RFC 2606, RFC 6761); `local` (multicast DNS, RFC 6762);
/// `home.arpa` (home networks, RFC 8375); `internal` (private use, reserved
/// by ICANN in 2024). `onion` (RFC 7686) is left out: onion services are
/// real, shareable indicators.
pub const RESERVED_DOMAINS: &[&str] = &[
    "localhost",
    "invalid",
    "test",
    "example",
    "example.com",
    "example.net",
    "example.org",
    "local",
    "home.arpa",
    "internal",
];

/// Public DNS resolvers, whose blocking would cut a network off: Google
/// Public DNS, Cloudflare 1.1.1.1, Quad9, and Cisco OpenDNS.
pub const CRITICAL_NETWORKS: &[&str] = &[
    "8.8.8.8",              // Google Public DNS
    "8.8.4.4",              // Google Public DNS
    "1.1.1.1",              // Cloudflare
    "1.0.0.1",              // Cloudflare
    "9.9.9.9",              // Quad9
    "149.112.112.112",      // Quad9
    "208.67.222.222",       // Cisco OpenDNS
    "208.67.220.220",       // Cisco OpenDNS
    "2001:4860:4860::8888", // Google Public DNS
    "2001:4860:4860::8844", // Google Public DNS
    "2606:4700:4700::1111", // Cloudflare
    "2606:4700:4700::1001", // Cloudflare
    "2620:fe::fe",          // Quad9
];

/// Domains of services whose blocking would do harm (search, operating
/// system and browser updates, cloud and CDN platforms, code hosting,
/// certificate authorities and their revocation checks); each covers its
/// subdomains.
///
/// Kept short on purpose: a hit quarantines a partner's indicator for a
/// person to review, it does not discard it, and malware is hosted on some of
/// these platforms (`*.amazonaws.com`, `github.com`), so a longer list means
/// more reviews. Load a MISP list for more.
pub const CRITICAL_DOMAINS: &[&str] = &[
    "google.com",
    "microsoft.com",
    "windowsupdate.com",
    "apple.com",
    "cloudflare.com",
    "amazonaws.com",
    "akamai.net",
    "github.com",
    "wikipedia.org",
    "mozilla.org",
    "letsencrypt.org",
    "digicert.com",
];
