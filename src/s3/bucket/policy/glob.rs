//! IAM wildcards (`*` any run, `?` one character) as they match `Action` and `Resource`.

/// The set of pattern positions reachable after consuming `input`.
fn glob_states(pattern: &[char], input: &str, ignore_case: bool) -> Vec<bool> {
    let len = pattern.len();
    let close = |set: &mut Vec<bool>| {
        for p in 0..len {
            if set[p] && pattern[p] == '*' {
                set[p + 1] = true;
            }
        }
    };
    let mut set = vec![false; len + 1];
    set[0] = true;
    close(&mut set);
    for c in input.chars() {
        let mut next = vec![false; len + 1];
        for p in 0..len {
            if !set[p] {
                continue;
            }
            let pc = pattern[p];
            if pc == '*' {
                next[p] = true;
            } else if pc == '?'
                || pc == c
                || (ignore_case && pc.to_lowercase().eq(c.to_lowercase()))
            {
                next[p + 1] = true;
            }
        }
        close(&mut next);
        set = next;
        if !set.iter().any(|s| *s) {
            break;
        }
    }
    set
}

/// Whether `pattern` matches all of `input`.
pub fn glob_matches(pattern: &str, input: &str, ignore_case: bool) -> bool {
    let chars: Vec<char> = pattern.chars().collect();
    glob_states(&chars, input, ignore_case)
        .last()
        .copied()
        .unwrap_or(false)
}

/// Whether `pattern` matches `prefix` followed by **any** string.
pub fn glob_covers_prefix(pattern: &str, prefix: &str, ignore_case: bool) -> bool {
    let chars: Vec<char> = pattern.chars().collect();
    let set = glob_states(&chars, prefix, ignore_case);
    (0..chars.len()).any(|p| set[p] && chars[p..].iter().all(|c| *c == '*'))
}

/// Whether `pattern` matches `prefix` followed by **some** non-empty string.
pub fn glob_touches_prefix(pattern: &str, prefix: &str, ignore_case: bool) -> bool {
    let chars: Vec<char> = pattern.chars().collect();
    let set = glob_states(&chars, prefix, ignore_case);
    (0..chars.len()).any(|p| set[p])
}
