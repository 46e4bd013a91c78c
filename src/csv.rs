//! CSV text as spreadsheets and `csv` modules read it (RFC 4180: CRLF line ends; a field with a
//! comma, quote, line break or edge space quoted), shared by every report s3seal writes. Object
//! keys are chosen by whoever may write to the bucket, so a cell that a spreadsheet would run
//! as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`.

/// Appends one record (fields and the CRLF line end) to `out`.
pub fn push_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, value) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, value.as_ref());
    }
    out.push_str("\r\n");
}

fn push_field(out: &mut String, value: &str) {
    let guarded;
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{value}");
        guarded.as_str()
    } else {
        value
    };
    if value.contains([',', '"', '\n', '\r']) || value.starts_with(' ') || value.ends_with(' ') {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_guards() {
        let mut out = String::new();
        push_record(&mut out, &["a,\"b\"\nc", "=SUM(A1)", " x", "plain"]);
        assert_eq!(out, "\"a,\"\"b\"\"\nc\",'=SUM(A1),\" x\",plain\r\n");
    }
}
