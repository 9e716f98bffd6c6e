#!/usr/bin/env python3
"""Loads the reference TAXII servers for bench/taxii.sh.

    refdata.py medallion BUNDLE N DIR [--empty]
        Writes DIR/config.json and DIR/data.json for medallion's memory backend:
        one API root `bench` with a collection `read` holding the first N objects of
        BUNDLE (date_added one millisecond apart) and an empty collection `write`
        (or both empty with --empty). Prints the date_added values, one a line, to
        DIR/date_added.txt.

    refdata.py opentaxii-setup DIR
        Writes DIR/opentaxii.yml: TAXII 2.1 only, SQLite databases in DIR.

    refdata.py opentaxii-init DIR ALIAS...
        With OPENTAXII_CONFIG set: creates the API root `bench`, an empty
        collection for each ALIAS and an admin account; their ids and a bearer
        token go to DIR/ids.json.

    refdata.py opentaxii-load BUNDLE N DIR
        With OPENTAXII_CONFIG set: creates a collection `read-N` and appends the
        first N objects of BUNDLE through OpenTAXII's own persistence API
        (add_objects, batches of 1000; OpenTAXII has no import command for TAXII
        2.1), then writes its date_added values to DIR/date_added-N.txt.
"""
import datetime
import json
import os
import sys

API_ROOT = "bench"
READ_ID = "9ee8a29e-0f35-4b76-8b41-6c1b6a7d0c01"
WRITE_ID = "9ee8a29e-0f35-4b76-8b41-6c1b6a7d0c02"
USER, PASSWORD = "bench", "bench-password"
MEDIA_TYPE = "application/stix+json;version=2.1"


def read_objects(bundle, n):
    with open(bundle, encoding="utf-8") as f:
        objects = json.load(f)["objects"]
    if len(objects) < n:
        sys.exit(f"{bundle} has {len(objects)} objects, {n} needed")
    return objects[:n]


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def medallion(bundle, n, out, empty=False):
    objects = [] if empty else read_objects(bundle, n)
    base = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
    manifest, added = [], []
    for i, obj in enumerate(objects):
        date_added = ts(base + datetime.timedelta(milliseconds=i))
        added.append(date_added)
        manifest.append({"id": obj["id"], "date_added": date_added,
                         "version": obj["modified"], "media_type": MEDIA_TYPE})

    def collection(cid, title, objs, man):
        return {"id": cid, "title": title, "description": "benchmark collection",
                "can_read": True, "can_write": True, "media_types": [MEDIA_TYPE],
                "objects": objs, "manifest": man}

    data = {
        "/discovery": {"title": "medallion bench", "description": "benchmark",
                       "contact": "bench@example.org",
                       "default": f"http://127.0.0.1/{API_ROOT}/",
                       "api_roots": [f"http://127.0.0.1/{API_ROOT}/"]},
        API_ROOT: {
            "information": {"title": "bench", "description": "benchmark root",
                            "versions": ["application/taxii+json;version=2.1"],
                            "max_content_length": 100 * 1024 * 1024},
            "status": [],
            "collections": [collection(READ_ID, "read", objects, manifest),
                            collection(WRITE_ID, "write", [], [])],
        },
    }
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "data.json"), "w", encoding="utf-8") as f:
        json.dump(data, f)
    config = {
        "backend": {"module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend",
                    "filename": os.path.abspath(os.path.join(out, "data.json"))},
        "users": {USER: PASSWORD},
        "taxii": {"max_page_size": 100},
    }
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(out, "date_added.txt"), "w") as f:
        f.write("".join(a + "\n" for a in added))


def opentaxii_setup(out):
    out = os.path.abspath(out)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "opentaxii.yml"), "w") as f:
        f.write(f"""---
domain: "127.0.0.1"
support_basic_auth: yes
return_server_error_details: no
auth_api:
  class: opentaxii.auth.sqldb.SQLDatabaseAPI
  parameters:
    db_connection: sqlite:///{out}/auth.db
    create_tables: yes
    secret: bench-secret-not-for-production
    token_ttl_secs: 86400
taxii1:
taxii2:
  title: "OpenTAXII bench"
  public_discovery: yes
  allow_custom_properties: yes
  max_content_length: {100 * 1024 * 1024}
  persistence_api:
    class: opentaxii.persistence.sqldb.Taxii2SQLDatabaseAPI
    parameters:
      db_connection: sqlite:///{out}/data.db
      create_tables: yes
logging:
  opentaxii: warning
  root: warning
""")


def _opentaxii():
    from opentaxii.cli import app
    from opentaxii.entities import Account
    from opentaxii.local import context
    ctx = app.app_context()
    ctx.push()
    context.account = Account(id=None, username="local-admin", permissions=None,
                              is_admin=True)
    return app


def opentaxii_init(out, writes):
    """API root `bench`, empty collections WRITES, an admin account and its token."""
    app = _opentaxii()
    app.taxii_server.auth.api.create_account(USER, PASSWORD, is_admin=True)
    api = app.taxii_server.servers.taxii2.persistence.api
    root = str(api.add_api_root(API_ROOT, "benchmark root", default=True).id)
    ids = {"root": root,
           # A bearer token (JWT), as OpenTAXII's clients use: with HTTP Basic,
           # every request would also run a password hash.
           "token": app.taxii_server.auth.authenticate(USER, PASSWORD)}
    for alias in writes:
        ids[alias] = str(api.add_collection(root, alias, "benchmark collection", alias).id)
    with open(os.path.join(out, "ids.json"), "w") as f:
        json.dump(ids, f)


def opentaxii_load(bundle, n, out):
    """A collection `read-N` with the first N objects of BUNDLE."""
    from opentaxii.persistence.sqldb import taxii2models as m
    app = _opentaxii()
    with open(os.path.join(out, "ids.json")) as f:
        ids = json.load(f)
    objects = read_objects(bundle, n)
    api = app.taxii_server.servers.taxii2.persistence.api
    cid = str(api.add_collection(ids["root"], f"read-{n}", "benchmark collection",
                                 f"read-{n}").id)
    for i in range(0, n, 1000):
        api.add_objects(ids["root"], cid, objects[i:i + 1000])
    rows = (api.db.session.query(m.STIXObject.date_added)
            .filter(m.STIXObject.collection_id == cid)
            .order_by(m.STIXObject.date_added, m.STIXObject.id).all())
    ids[f"read-{n}"] = cid
    with open(os.path.join(out, "ids.json"), "w") as f:
        json.dump(ids, f)
    with open(os.path.join(out, f"date_added-{n}.txt"), "w") as f:
        for (d,) in rows:
            d = d.astimezone(datetime.timezone.utc)
            f.write(d.strftime("%Y-%m-%dT%H:%M:%S.%fZ") + "\n")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "medallion":
        medallion(sys.argv[2], int(sys.argv[3]), sys.argv[4], "--empty" in sys.argv[5:])
    elif cmd == "opentaxii-setup":
        opentaxii_setup(sys.argv[2])
    elif cmd == "opentaxii-init":
        opentaxii_init(sys.argv[2], sys.argv[3:])
    elif cmd == "opentaxii-load":
        opentaxii_load(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(__doc__)
