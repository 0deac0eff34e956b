//! JSON-RPC framing over standard input and output, robust against bad input.
//!
//! `lsp-server`'s own stdio threads stop at the first message that is not UTF-8 or not JSON;
//! an editor must not lose its server to one bad message, so these threads answer such a
//! message with a JSON-RPC parse error (id `null`) and read on. Only a broken header, which
//! leaves no way to find the next message, or the end of input stops the reader.

use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};

use lsp_server::Message;
use serde_json::{Value, json};

/// The largest message read; a bigger one is skipped with an error, not allocated.
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// What the writer sends: a message, or a parse error for a message that could not be read.
pub enum Outgoing {
    Message(Message),
    ParseError(String),
    /// Everything before has been sent: the writer stops. The reader keeps a sender to report
    /// parse errors, so the channel alone would never close while the client keeps its end open.
    Finish,
}

pub struct Transport {
    pub incoming: Receiver<Message>,
    pub outgoing: Sender<Outgoing>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Transport {
    pub fn stdio() -> Transport {
        let (in_tx, incoming) = mpsc::channel();
        let (outgoing, out_rx) = mpsc::channel::<Outgoing>();
        let errors = outgoing.clone();
        let reader = thread::spawn(move || {
            let stdin = io::stdin();
            read_loop(&mut stdin.lock(), &in_tx, &errors);
        });
        let writer = thread::spawn(move || {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            for message in out_rx {
                let text = match message {
                    Outgoing::Message(message) => match serde_json::to_value(&message) {
                        Ok(mut value) => {
                            value["jsonrpc"] = json!("2.0");
                            value.to_string()
                        }
                        Err(err) => {
                            eprintln!("weir lsp: could not encode a reply: {err}");
                            continue;
                        }
                    },
                    Outgoing::ParseError(reason) => parse_error(&reason).to_string(),
                    Outgoing::Finish => break,
                };
                let written = write!(out, "Content-Length: {}\r\n\r\n{text}", text.len())
                    .and_then(|()| out.flush());
                if written.is_err() {
                    // The client is gone; the reader sees the end of input and the server stops.
                    break;
                }
            }
        });
        Transport {
            incoming,
            outgoing,
            reader,
            writer,
        }
    }

    /// Waits for the writer to send what is queued. The reader may be blocked on input that
    /// never comes (the client keeps its end open after `exit`); it ends with the process.
    pub fn finish(self) {
        let _ = self.outgoing.send(Outgoing::Finish);
        let _ = self.writer.join();
        drop(self.reader);
    }
}

fn parse_error(reason: &str) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": -32700, "message": reason },
    })
}

/// Reads messages until the end of input or a header nothing can be read after.
pub fn read_loop(input: &mut impl BufRead, messages: &Sender<Message>, errors: &Sender<Outgoing>) {
    loop {
        match read_frame(input) {
            Ok(Frame::End) => return,
            Ok(Frame::Body(bytes)) => match decode(&bytes) {
                Ok(message) => {
                    if messages.send(message).is_err() {
                        return;
                    }
                }
                Err(reason) => {
                    let _ = errors.send(Outgoing::ParseError(reason));
                }
            },
            Ok(Frame::TooLarge(size)) => {
                let _ = errors.send(Outgoing::ParseError(format!(
                    "a message of {size} bytes is larger than the {MAX_MESSAGE} bytes weir reads; it was skipped"
                )));
            }
            Err(err) => {
                eprintln!("weir lsp: cannot read the client's messages any more: {err}");
                return;
            }
        }
    }
}

enum Frame {
    End,
    Body(Vec<u8>),
    TooLarge(usize),
}

fn read_frame(input: &mut impl BufRead) -> io::Result<Frame> {
    let mut length = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(Frame::End);
        }
        let text = String::from_utf8_lossy(&line);
        let header = text.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            if length.is_none() {
                continue;
            }
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a header line without `:`: {header:?}"),
            ));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let size = value.trim().parse::<usize>().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("a Content-Length that is not a number: {:?}", value.trim()),
                )
            })?;
            length = Some(size);
        }
    }
    let size = length.unwrap_or(0);
    if size > MAX_MESSAGE {
        io::copy(&mut input.take(size as u64), &mut io::sink())?;
        return Ok(Frame::TooLarge(size));
    }
    let mut body = vec![0; size];
    input.read_exact(&mut body)?;
    Ok(Frame::Body(body))
}

fn decode(bytes: &[u8]) -> Result<Message, String> {
    let text = std::str::from_utf8(bytes).map_err(|err| {
        format!(
            "the message is not UTF-8 (the byte at offset {} is not valid); it was skipped",
            err.valid_up_to()
        )
    })?;
    serde_json::from_str(text)
        .map_err(|err| format!("the message is not a JSON-RPC message ({err}); it was skipped"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> (Vec<Message>, Vec<String>) {
        let (tx, rx) = mpsc::channel();
        let (etx, erx) = mpsc::channel();
        read_loop(&mut io::Cursor::new(input), &tx, &etx);
        drop((tx, etx));
        let errors = erx
            .iter()
            .map(|e| match e {
                Outgoing::ParseError(reason) => reason,
                Outgoing::Message(_) | Outgoing::Finish => String::new(),
            })
            .collect();
        (rx.iter().collect(), errors)
    }

    #[test]
    fn a_bad_message_is_answered_and_the_next_one_read() {
        let good = br#"{"jsonrpc":"2.0","method":"exit"}"#;
        let mut input = Vec::new();
        input.extend_from_slice(b"Content-Length: 3\r\n\r\n\xff\xfe{");
        input.extend_from_slice(b"Content-Length: 5\r\n\r\nnope!");
        input.extend_from_slice(format!("Content-Length: {}\r\n\r\n", good.len()).as_bytes());
        input.extend_from_slice(good);
        let (messages, errors) = frames(&input);
        assert_eq!(messages.len(), 1);
        assert_eq!(errors.len(), 2);
        assert!(errors[0].contains("not UTF-8"), "{}", errors[0]);
        assert!(
            errors[1].contains("not a JSON-RPC message"),
            "{}",
            errors[1]
        );
    }
}
