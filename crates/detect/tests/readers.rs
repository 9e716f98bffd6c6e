//! For a realistic line of each log kind, the event read from it matches the
//! STIX patterns an analyst would write for what the line shows, and not
//! patterns for what it does not.

use detect::formats::{Format, Reader, Record};

const ZEEK_HEADER: &str =
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-";

/// Reads `lines` of one file and gives the STIX objects of its last record.
fn observed(format: Format, file: Option<&str>, lines: &str) -> Vec<serde_json::Value> {
    let mut reader = Reader::new(format, file, 1_714_564_800_000_000);
    let mut last = None;
    for line in lines.lines() {
        if let Some(record) = reader.read(line).unwrap_or_else(|e| panic!("{line}: {e}")) {
            last = Some(match record {
                Record::Event(e) => e.to_observed(),
                Record::Observed { objects, .. } => objects,
            });
        }
    }
    last.expect("a record")
}

fn assert_matches(observed: &[serde_json::Value], patterns: &[&str], yes: bool) {
    for p in patterns {
        let parsed = pattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e:?}"));
        assert_eq!(
            pattern::matches(&parsed, observed),
            Ok(yes),
            "{p} on {observed:#?}"
        );
    }
}

#[test]
fn zeek_conn_tsv() {
    let log = format!(
        "{ZEEK_HEADER}\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\thistory\n\
         1714564800.123456\tCHhAvVGS1DHFjwGM9\t192.0.2.10\t49852\t198.51.100.7\t443\ttcp\tssl\t1.234\t517\t4352\tSF\tShADadFf"
    );
    let o = observed(Format::Zeek, Some("conn.log"), &log);
    assert_matches(
        &o,
        &[
            "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]",
            "[ipv4-addr:value = '198.51.100.7']",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
            "[network-traffic:src_ref.value = '192.0.2.10' AND network-traffic:protocols[*] = 'ssl']",
            "[network-traffic:protocols[0] = 'tcp']",
        ],
        true,
    );
    assert_matches(
        &o,
        &[
            "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 80]",
            "[network-traffic:src_ref.value = '198.51.100.7']",
        ],
        false,
    );
}

#[test]
fn zeek_dns_json() {
    let line = r#"{"_path":"dns","ts":1714564800.5,"uid":"C1","id.orig_h":"192.0.2.10","id.orig_p":53211,"id.resp_h":"192.0.2.53","id.resp_p":53,"proto":"udp","trans_id":4242,"query":"evil.example","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["198.51.100.7"],"TTLs":[300.0],"rejected":false}"#;
    let o = observed(Format::Zeek, None, line);
    assert_matches(
        &o,
        &[
            "[domain-name:value = 'evil.example']",
            "[ipv4-addr:value = '198.51.100.7']",
            "[network-traffic:dst_port = 53 AND network-traffic:protocols[*] = 'dns']",
        ],
        true,
    );
    assert_matches(&o, &["[domain-name:value = 'good.example']"], false);
}

#[test]
fn zeek_http_tsv() {
    let log = format!(
        "{ZEEK_HEADER}\n#path\thttp\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\tstatus_code\n\
         1714564800.25\tC1\t192.0.2.10\t49852\t198.51.100.7\t80\t1\tGET\tevil.example\t/x\t-\t1.1\tMozilla/5.0 (Windows NT 10.0)\t200"
    );
    let o = observed(Format::Zeek, None, &log);
    assert_matches(
        &o,
        &[
            "[url:value = 'http://evil.example/x']",
            "[domain-name:value = 'evil.example']",
            "[network-traffic:extensions.'http-request-ext'.request_method = 'GET' AND network-traffic:extensions.'http-request-ext'.request_value = '/x']",
            "[network-traffic:extensions.'http-request-ext'.request_header.Host = 'evil.example']",
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' LIKE 'Mozilla/%']",
        ],
        true,
    );
    assert_matches(&o, &["[url:value = 'https://evil.example/x']"], false);
}

#[test]
fn zeek_ssl_tsv() {
    let fp = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let log = format!(
        "{ZEEK_HEADER}\n#path\tssl\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tserver_name\testablished\tcert_chain_fps\n\
         1714564800\tC1\t192.0.2.10\t49852\t198.51.100.7\t443\tTLSv12\tTLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\tevil.example\tT\t{fp}"
    );
    let o = observed(Format::Zeek, None, &log);
    assert_matches(
        &o,
        &[
            "[domain-name:value = 'evil.example']",
            &format!("[x509-certificate:hashes.'SHA-256' = '{fp}']"),
            "[network-traffic:dst_port = 443 AND network-traffic:dst_ref.value = '198.51.100.7']",
        ],
        true,
    );
}

#[test]
fn zeek_files_json() {
    let sha256 = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f";
    let line = format!(
        r#"{{"_path":"files","ts":1714564800.1,"fuid":"FmXz3a1Qw2","tx_hosts":["198.51.100.7"],"rx_hosts":["192.0.2.10"],"conn_uids":["C1"],"source":"HTTP","depth":0,"analyzers":["MD5","SHA1","SHA256"],"mime_type":"application/x-dosexec","filename":"invoice.exe","duration":0.1,"is_orig":false,"seen_bytes":73802,"total_bytes":73802,"missing_bytes":0,"overflow_bytes":0,"timedout":false,"md5":"5d41402abc4b2a76b9719d911017c592","sha1":"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d","sha256":"{sha256}"}}"#
    );
    let o = observed(Format::Zeek, Some("files.log"), &line);
    assert_matches(
        &o,
        &[
            &format!("[file:hashes.'SHA-256' = '{sha256}']"),
            "[file:hashes.MD5 = '5d41402abc4b2a76b9719d911017c592']",
            "[file:name = 'invoice.exe' AND file:size > 1000]",
            "[file:mime_type = 'application/x-dosexec']",
            "[ipv4-addr:value = '198.51.100.7']",
        ],
        true,
    );
}

#[test]
fn zeek_smtp_tsv() {
    let log = format!(
        "{ZEEK_HEADER}\n#path\tsmtp\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\thelo\tmailfrom\trcptto\tsubject\n\
         1714564800\tC1\t203.0.113.9\t40000\t192.0.2.25\t25\t1\tmx.evil.example\t<mallory@evil.example>\t<clerk@county.example>\tPolling station moved"
    );
    let o = observed(Format::Zeek, None, &log);
    assert_matches(
        &o,
        &[
            "[email-addr:value = 'mallory@evil.example']",
            "[email-message:from_ref.value = 'mallory@evil.example']",
            "[email-message:to_refs[*].value = 'clerk@county.example']",
            "[email-message:subject LIKE '%Polling%']",
        ],
        true,
    );
    assert_matches(
        &o,
        &["[email-message:from_ref.value = 'clerk@county.example']"],
        false,
    );
}

const EVE_HEAD: &str = r#""timestamp":"2024-05-01T12:00:00.123456+0000","flow_id":1234567890123456,"in_iface":"eth0","src_ip":"192.0.2.10","src_port":49852,"dest_ip":"198.51.100.7""#;

#[test]
fn eve_dns() {
    let line = format!(
        r#"{{{EVE_HEAD},"dest_port":53,"event_type":"dns","proto":"UDP","dns":{{"version":2,"type":"answer","id":4242,"flags":"8180","qr":true,"rd":true,"ra":true,"rrname":"evil.example","rrtype":"A","rcode":"NOERROR","answers":[{{"rrname":"evil.example","rrtype":"A","ttl":300,"rdata":"203.0.113.66"}}]}}}}"#
    );
    let o = observed(Format::Eve, Some("eve.json"), &line);
    assert_matches(
        &o,
        &[
            "[domain-name:value = 'evil.example']",
            "[ipv4-addr:value = '203.0.113.66']",
            "[network-traffic:protocols[*] = 'udp' AND network-traffic:dst_port = 53]",
        ],
        true,
    );
}

#[test]
fn eve_http() {
    let line = format!(
        r#"{{{EVE_HEAD},"dest_port":80,"event_type":"http","proto":"TCP","tx_id":0,"http":{{"hostname":"evil.example","url":"/x","http_user_agent":"curl/8.0","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":1024}}}}"#
    );
    let o = observed(Format::Eve, None, &line);
    assert_matches(
        &o,
        &[
            "[url:value = 'http://evil.example/x']",
            "[domain-name:value = 'evil.example']",
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'curl/8.0']",
        ],
        true,
    );
}

#[test]
fn eve_tls() {
    let line = format!(
        r#"{{{EVE_HEAD},"dest_port":443,"event_type":"tls","proto":"TCP","tls":{{"subject":"CN=evil.example","issuerdn":"CN=Fake CA","serial":"00:AB:CD","fingerprint":"3e:18:0a:9e:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00","sni":"evil.example","version":"TLS 1.2","notbefore":"2024-01-01T00:00:00","notafter":"2025-01-01T00:00:00"}}}}"#
    );
    let o = observed(Format::Eve, None, &line);
    assert_matches(
        &o,
        &[
            "[x509-certificate:hashes.'SHA-1' = '3e180a9e112233445566778899aabbccddeeff00']",
            "[x509-certificate:issuer = 'CN=Fake CA']",
            "[domain-name:value = 'evil.example']",
        ],
        true,
    );
}

#[test]
fn eve_fileinfo_and_smtp() {
    let sha256 = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f";
    let line = format!(
        r#"{{{EVE_HEAD},"dest_port":80,"event_type":"fileinfo","proto":"TCP","app_proto":"http","http":{{"hostname":"evil.example","url":"/dl/invoice.exe","http_method":"GET"}},"fileinfo":{{"filename":"/dl/invoice.exe","magic":"PE32 executable","gaps":false,"state":"CLOSED","sha256":"{sha256}","stored":false,"size":73802,"tx_id":0}}}}"#
    );
    let o = observed(Format::Eve, None, &line);
    assert_matches(
        &o,
        &[
            &format!("[file:hashes.'SHA-256' = '{sha256}']"),
            "[file:name = 'invoice.exe']",
            "[url:value = 'http://evil.example/dl/invoice.exe']",
        ],
        true,
    );
    let line = format!(
        r#"{{{EVE_HEAD},"dest_port":25,"event_type":"smtp","proto":"TCP","smtp":{{"helo":"mx.evil.example","mail_from":"<mallory@evil.example>","rcpt_to":["<clerk@county.example>"]}}}}"#
    );
    let o = observed(Format::Eve, None, &line);
    assert_matches(
        &o,
        &[
            "[email-addr:value = 'mallory@evil.example']",
            "[email-message:to_refs[*].value = 'clerk@county.example']",
        ],
        true,
    );
}

#[test]
fn access_log() {
    let line = r#"203.0.113.9 - - [01/May/2024:14:00:00 +0200] "GET /wp-login.php HTTP/1.1" 404 153 "http://evil.example/scan" "sqlmap/1.7""#;
    let o = observed(Format::Access, Some("access.log"), line);
    assert_eq!(o[0]["first_observed"], "2024-05-01T12:00:00.000000Z");
    assert_matches(
        &o,
        &[
            "[ipv4-addr:value = '203.0.113.9']",
            "[network-traffic:src_ref.value = '203.0.113.9' AND network-traffic:extensions.'http-request-ext'.request_value = '/wp-login.php']",
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' LIKE 'sqlmap%']",
            "[url:value = 'http://evil.example/scan']",
        ],
        true,
    );
}

#[test]
fn lists() {
    for (value, pattern) in [
        ("198.51.100.7", "[ipv4-addr:value = '198.51.100.7']"),
        ("2001:db8::7", "[ipv6-addr:value = '2001:db8::7']"),
        ("evil.example", "[domain-name:value = 'evil.example']"),
        (
            "http://evil.example/x",
            "[url:value = 'http://evil.example/x']",
        ),
        (
            "mallory@evil.example",
            "[email-addr:value = 'mallory@evil.example']",
        ),
        (
            "5d41402abc4b2a76b9719d911017c592",
            "[file:hashes.MD5 = '5d41402abc4b2a76b9719d911017c592']",
        ),
    ] {
        let o = observed(Format::List, None, &format!("# iocs\n\n{value}"));
        assert_eq!(o[0]["first_observed"], "2024-05-01T12:00:00.000000Z");
        assert_matches(&o, &[pattern], true);
    }
}

#[test]
fn stix_observed_data_2_0() {
    let line = r#"{"type":"observed-data","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"2024-05-01T12:00:00Z","modified":"2024-05-01T12:00:00Z","first_observed":"2024-05-01T12:00:00Z","last_observed":"2024-05-01T12:00:00Z","number_observed":1,"objects":{"0":{"type":"ipv4-addr","value":"192.0.2.10"},"1":{"type":"ipv4-addr","value":"198.51.100.7"},"2":{"type":"network-traffic","src_ref":"0","dst_ref":"1","dst_port":443,"protocols":["tcp"]}}}"#;
    let o = observed(Format::Stix, None, line);
    assert_matches(
        &o,
        &["[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]"],
        true,
    );
}

#[test]
fn detection_picks_the_reader_for_these_lines() {
    let cases = [
        (None, "#separator \\x09", Some(Format::Zeek)),
        (Some("eve.json"), "{}", Some(Format::Eve)),
        (
            None,
            r#"203.0.113.9 - - [01/May/2024:14:00:00 +0200] "GET / HTTP/1.1" 404 153"#,
            Some(Format::Access),
        ),
        (None, "evil.example", Some(Format::List)),
    ];
    for (name, line, want) in cases {
        assert_eq!(detect::formats::detect(name, line), want, "{line}");
    }
}
