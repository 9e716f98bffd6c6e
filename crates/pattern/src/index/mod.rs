//! Many indicators compiled into one index, so that an event is checked
//! against all of them at once.

mod event;

pub use self::event::{
    Certificate, EmailMessage, Event, File, HttpRequest, Micros, Observable, Traffic,
    micros_to_rfc3339,
};
