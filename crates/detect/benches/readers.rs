//! Reading cost per line of the formats that carry most telemetry: the
//! target is 500,000 events/s end to end on one core, index lookups (~0.5 µs)
//! included, so a reader must stay well under a microsecond a line.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use detect::formats::{Format, Reader};

const CONN_HEADER: &[&str] = &[
    "#separator \\x09",
    "#set_separator\t,",
    "#empty_field\t(empty)",
    "#unset_field\t-",
    "#path\tconn",
    "#open\t2024-05-01-12-00-00",
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]",
];
const CONN: &str = "1714564800.123456\tCHhAvVGS1DHFjwGM9\t192.0.2.10\t49852\t198.51.100.7\t443\ttcp\tssl\t1.234567\t517\t4352\tSF\tT\tF\t0\tShADadFf\t12\t1153\t10\t4884\t(empty)";

const HTTP_JSON: &str = r#"{"ts":1714564800.123456,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"192.0.2.10","id.orig_p":49852,"id.resp_h":"198.51.100.7","id.resp_p":80,"trans_depth":1,"method":"GET","host":"ballot-status.example","uri":"/check/status.php?id=4411","version":"1.1","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36","request_body_len":0,"response_body_len":1024,"status_code":200,"status_msg":"OK","tags":[],"resp_fuids":["FmXz3a1Qw2"],"resp_mime_types":["text/html"]}"#;

const EVE_DNS: &str = r#"{"timestamp":"2024-05-01T12:00:00.123456+0000","flow_id":1234567890123456,"in_iface":"eth0","event_type":"dns","src_ip":"192.0.2.10","src_port":53211,"dest_ip":"192.0.2.53","dest_port":53,"proto":"UDP","dns":{"version":2,"type":"answer","id":4242,"flags":"8180","qr":true,"rd":true,"ra":true,"rrname":"ballot-status.example","rrtype":"A","rcode":"NOERROR","answers":[{"rrname":"ballot-status.example","rrtype":"A","ttl":300,"rdata":"198.51.100.7"}]}}"#;

const EVE_HTTP: &str = r#"{"timestamp":"2024-05-01T12:00:00.123456+0000","flow_id":1234567890123457,"in_iface":"eth0","event_type":"http","src_ip":"192.0.2.10","src_port":49852,"dest_ip":"198.51.100.7","dest_port":80,"proto":"TCP","tx_id":0,"http":{"hostname":"ballot-status.example","url":"/check/status.php?id=4411","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":1024}}"#;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("read-line");
    g.throughput(Throughput::Elements(1));

    let mut conn = Reader::new(Format::Zeek, Some("conn.log"), 0);
    for h in CONN_HEADER {
        conn.read(h).expect("header reads");
    }
    assert!(conn.read(CONN).expect("conn line reads").is_some());
    g.bench_function("zeek-conn-tsv", |b| {
        b.iter(|| black_box(conn.read(black_box(CONN)).is_ok()))
    });

    let mut http = Reader::new(Format::Zeek, Some("http.log"), 0);
    assert!(http.read(HTTP_JSON).expect("http line reads").is_some());
    g.bench_function("zeek-http-json", |b| {
        b.iter(|| black_box(http.read(black_box(HTTP_JSON)).is_ok()))
    });

    let mut eve = Reader::new(Format::Eve, Some("eve.json"), 0);
    assert!(eve.read(EVE_DNS).expect("dns line reads").is_some());
    assert!(eve.read(EVE_HTTP).expect("http line reads").is_some());
    g.bench_function("eve-dns", |b| {
        b.iter(|| black_box(eve.read(black_box(EVE_DNS)).is_ok()))
    });
    g.bench_function("eve-http", |b| {
        b.iter(|| black_box(eve.read(black_box(EVE_HTTP)).is_ok()))
    });
    // The floor: serde_json only checking the line's syntax.
    g.bench_function("json-syntax-only-eve-http", |b| {
        b.iter(|| {
            black_box(serde_json::from_str::<serde::de::IgnoredAny>(black_box(EVE_HTTP)).is_ok())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
