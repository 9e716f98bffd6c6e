//! Where data comes from: the data directory, files, standard input, and the
//! streaming reader for large STIX documents.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::cli::Global;

/// The data directory: `--data`, else `$ENTENTE_DATA` (both via clap), else the per-user default.
pub fn data_dir(global: &Global) -> Result<PathBuf> {
    if let Some(dir) = &global.data {
        return Ok(dir.clone());
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(xdg).join("entente"));
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".local/share/entente")),
        None => bail!("no data directory: pass --data DIR or set ENTENTE_DATA"),
    }
}

/// Opens the data directory's store.
pub fn open_store(global: &Global) -> Result<store::Store> {
    let dir = data_dir(global)?;
    store::Store::open(&dir).with_context(|| format!("cannot open the node in {}", dir.display()))
}

/// Reads a whole file, or standard input for `-`.
pub fn read_all(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    }
    Ok(bytes)
}

/// Opens a file (or standard input for `-`) for streaming, with its length when
/// known. Unbuffered: the caller buffers, outside any progress counting, so
/// the count is updated per block rather than per byte.
pub fn open(path: &Path) -> Result<(Box<dyn Read + Send>, Option<u64>)> {
    if path == Path::new("-") {
        return Ok((Box::new(io::stdin()), None));
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = file.metadata().ok().map(|m| m.len());
    Ok((Box::new(file), len))
}

/// A large read buffer for streaming documents.
pub fn buffered<R: Read>(reader: R) -> BufReader<R> {
    BufReader::with_capacity(1 << 20, reader)
}

/// Streams the objects of a STIX bundle, a JSON array of objects, or a single
/// object, calling `each` for every object without holding the whole document
/// in memory. Stops at the first error `each` returns, or at malformed JSON.
pub fn stream_objects<R: Read>(reader: R, each: &mut dyn FnMut(Value) -> Result<()>) -> Result<()> {
    let mut failure = None;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let result = Document {
        each,
        failure: &mut failure,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Some(err) = failure {
        return Err(err);
    }
    result.context("malformed JSON")
}

/// The top-level document.
struct Document<'a, 'f> {
    each: &'a mut dyn FnMut(Value) -> Result<()>,
    failure: &'f mut Option<anyhow::Error>,
}

impl Document<'_, '_> {
    fn call<E: de::Error>(&mut self, value: Value) -> Result<(), E> {
        (self.each)(value).map_err(|err| {
            let msg = format!("{err:#}");
            *self.failure = Some(err);
            E::custom(msg)
        })
    }
}

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a STIX bundle, an array of STIX objects, or one STIX object")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            self.call(value)?;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut fields = Map::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "objects" && fields.get("type").is_none_or(|t| t == "bundle") {
                // A bundle's objects: handed on one by one. (observed-data's
                // deprecated `objects` is a dictionary and is kept whole.)
                match map.next_value_seed(Members { doc: &mut self })? {
                    Some(value) => {
                        fields.insert(key, value);
                    }
                    None => streamed = true,
                }
            } else if streamed && key != "type" && key != "id" {
                map.next_value::<IgnoredAny>()?;
            } else {
                let value = map.next_value::<Value>()?;
                fields.insert(key, value);
            }
        }
        match (streamed, fields.get("type").and_then(Value::as_str)) {
            (true, Some("bundle")) => Ok(()),
            (true, other) => Err(de::Error::custom(format!(
                "a top-level object with an `objects` list must be a bundle, found type {other:?}"
            ))),
            (false, Some("bundle")) => Err(de::Error::custom("the bundle has no `objects` list")),
            (false, _) => self.call(Value::Object(fields)),
        }
    }
}

/// The value of an `objects` key: a list to stream, or anything else to keep.
struct Members<'d, 'a, 'f> {
    doc: &'d mut Document<'a, 'f>,
}

impl<'de> DeserializeSeed<'de> for Members<'_, '_, '_> {
    type Value = Option<Value>;
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Option<Value>, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Members<'_, '_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of STIX objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            self.doc.call(value)?;
        }
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let mut fields = Map::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            fields.insert(k, v);
        }
        Ok(Some(Value::Object(fields)))
    }
}

/// Calls `each(line_number, line)` for every line of `source`, without its
/// `\n` (a final line without one counts too). Lines are cut in place in a
/// large buffer rather than copied out one by one: at a million lines a
/// second the copy shows. `on_bytes` hears of each block read, for progress.
pub fn for_each_line(
    mut source: impl Read,
    mut each: impl FnMut(u64, &[u8]) -> Result<()>,
    mut on_bytes: impl FnMut(u64),
) -> io::Result<Result<()>> {
    let mut buf = vec![0u8; 1 << 20];
    let (mut start, mut end) = (0usize, 0usize);
    let mut line_no = 0u64;
    loop {
        if let Some(at) = memchr::memchr(b'\n', &buf[start..end]) {
            line_no += 1;
            if let Err(e) = each(line_no, &buf[start..start + at]) {
                return Ok(Err(e));
            }
            start += at + 1;
            continue;
        }
        // No whole line left: keep the partial one, make room, read on.
        buf.copy_within(start..end, 0);
        end -= start;
        start = 0;
        if end == buf.len() {
            // A line longer than the buffer: grow it.
            buf.resize(buf.len() * 2, 0);
        }
        let n = match source.read(&mut buf[end..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            if end > 0 {
                line_no += 1;
                return Ok(each(line_no, &buf[..end]));
            }
            return Ok(Ok(()));
        }
        on_bytes(n as u64);
        end += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        stream_objects(text.as_bytes(), &mut |v| {
            out.push(v);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn streams_bundle_members() {
        let got =
            collect(r#"{"type":"bundle","id":"bundle--1","objects":[{"id":"a"},{"id":"b"}]}"#)
                .unwrap();
        assert_eq!(
            got,
            vec![serde_json::json!({"id":"a"}), serde_json::json!({"id":"b"})]
        );
    }

    #[test]
    fn streams_arrays_and_single_objects() {
        assert_eq!(collect(r#"[{"id":"a"},{"id":"b"}]"#).unwrap().len(), 2);
        let one =
            collect(r#"{"type":"observed-data","objects":{"0":{"type":"ipv4-addr"}}}"#).unwrap();
        assert_eq!(one.len(), 1);
        assert!(one[0]["objects"].is_object());
    }

    #[test]
    fn an_objects_list_is_streamed_only_for_bundles() {
        // Type first: an ordinary object that happens to have `objects` (the validator judges it).
        assert_eq!(
            collect(r#"{"type":"report","objects":[{"id":"a"}]}"#)
                .unwrap()
                .len(),
            1
        );
        // `objects` first was streamed as a bundle's; a later non-bundle type is an error.
        assert!(collect(r#"{"objects":[{"id":"a"}],"type":"report"}"#).is_err());
    }

    #[test]
    fn refuses_trailing_garbage_and_truncation() {
        assert!(collect(r#"[{"id":"a"}] x"#).is_err());
        assert!(collect(r#"{"type":"bundle","objects":[{"id":"a"}"#).is_err());
    }

    #[test]
    fn stops_at_the_callbacks_error() {
        let mut seen = 0;
        let err = stream_objects(&br#"[{"id":"a"},{"id":"b"}]"#[..], &mut |_| {
            seen += 1;
            anyhow::bail!("stop here")
        })
        .unwrap_err();
        assert_eq!(seen, 1);
        assert!(format!("{err:#}").contains("stop here"));
    }

    fn lines(input: &[u8], chunk: usize) -> Vec<(u64, Vec<u8>)> {
        /// A reader that hands out at most `chunk` bytes at a time.
        struct Trickle<'a>(&'a [u8], usize);
        impl std::io::Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut got = Vec::new();
        for_each_line(
            Trickle(input, chunk),
            |n, l| {
                got.push((n, l.to_vec()));
                Ok(())
            },
            |_| {},
        )
        .unwrap()
        .unwrap();
        got
    }

    #[test]
    fn lines_are_cut_whatever_the_reads() {
        let input = b"first\n\nthird\r\nlast without newline";
        for chunk in [1, 2, 7, 1 << 20] {
            let got = lines(input, chunk);
            assert_eq!(
                got,
                vec![
                    (1, b"first".to_vec()),
                    (2, b"".to_vec()),
                    (3, b"third\r".to_vec()),
                    (4, b"last without newline".to_vec())
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_whole() {
        let long = vec![b'x'; 3 << 20];
        let mut input = long.clone();
        input.extend_from_slice(b"\nshort\n");
        let got = lines(&input, 1 << 16);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, long);
        assert_eq!(got[1], (2, b"short".to_vec()));
    }
}
