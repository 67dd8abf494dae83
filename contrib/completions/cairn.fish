# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_cairn_global_optspecs
    string join \n r/repo= k/key= trust-signer= cache-dir= no-cache json q/quiet progress= utc tz= config= nice= ionice= connections= s3-endpoint= s3-path-style= s3-storage-class= s3-sse= s3-sse-kms-key-id= s3-conditional-put= s3-multipart-mib= h/help V/version
end

function __fish_cairn_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_cairn_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_cairn_using_subcommand
    set -l cmd (__fish_cairn_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c cairn -n "__fish_cairn_needs_command" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_needs_command" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_needs_command" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_needs_command" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_needs_command" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_needs_command" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_needs_command" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_needs_command" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_needs_command" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_needs_command" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_needs_command" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_needs_command" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_needs_command" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_needs_command" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_needs_command" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_needs_command" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_needs_command" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_needs_command" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_needs_command" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_needs_command" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_needs_command" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_needs_command" -s V -l version -d 'Print version'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "key" -d 'Generate, export or inspect keys'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "init" -d 'Create a new repository'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "backup" -d 'Back up files, standard input or a command\'s output'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "snapshots" -d 'List snapshots'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "ls" -d 'List files in a snapshot'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "restore" -d 'Restore a snapshot into a directory'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "dump" -d 'Write one file of a snapshot to standard output'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "diff" -d 'Show what changed between two snapshots'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "check" -d 'Verify the repository\'s structure and, optionally, its data'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "stats" -d 'Show repository statistics'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "forget" -d 'Remove snapshots by a keep policy (daily/weekly/monthly…) or by id'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "prune" -d 'Delete data no snapshot needs and repack mostly unused packs'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "repair" -d 'Rebuild the index from the packs and rewrite snapshots that lost data (`index`, then `snapshots`; both without a subcommand)'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "unlock" -d 'Remove stale locks'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "copy" -d 'Copy snapshots into another repository (a second copy on other storage)'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "run" -d 'Run profiles: hooks, backup, retention, check and notifications, as cron should'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "mirror" -d 'Refresh a test database from a snapshot\'s dump: restore, scrub, check, swap'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "restore-db" -d 'Restore a database from a snapshot into a server (disaster recovery)'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "profile" -d 'Check or list profiles'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "completions" -d 'Print a completion script for bash, zsh or fish'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "man" -d 'Write the manual pages (cairn.1 and one per command) into a directory'
complete -c cairn -n "__fish_cairn_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "generate" -d 'Generate a new key (Cv25519 unless --rsa); written 0600, never over an existing file'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "export" -d 'Print the key (-k) armored, as `gpg --import` reads it'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "import-paper" -d 'Turn a recovery sheet (typed or scanned back into text) into a key file (0600)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "add-recipient" -d 'Encrypt every object written from now on also to this public certificate (run with the repository\'s signing key); `key rewrap` does the stored ones'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "remove-recipient" -d 'Stop encrypting new objects to this key (run with the signing key); stored objects stay readable by it until `key rewrap`'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "add-writer" -d 'Let a write-only backup host\'s key back up (run with the signing key): it reads the config and index, signs its own host\'s snapshots, and decrypts no data'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "remove-writer" -d 'Stop encrypting the config and index to a write-only host key; what it signed verifies until `key rewrap` signs it again'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "rewrap" -d 'Re-encrypt stored snapshots, packs, index objects and verified records to the current recipients (run with the signing key); resumable and safe to interrupt'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "rotate-signer" -d 'Hand the repository\'s signing over to another key (run with the current signing key); readers pinned to the old key follow the signed hand-over'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "passwd" -d 'Change or remove the passphrase of the key file (-k); no repository is touched'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "info" -d 'Show the key\'s fingerprint, algorithms, expiry and protection'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "extend" -d 'Set when the key (-k) expires, primary key and subkeys; rewrites the key file'
complete -c cairn -n "__fish_cairn_using_subcommand key; and not __fish_seen_subcommand_from generate export import-paper add-recipient remove-recipient add-writer remove-writer rewrap rotate-signer passwd info extend help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l out -d 'Where to write the armored secret key' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l user-id -d 'User id to put in the key' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l expires -d 'When writing with the key stops: `never`, or a time from now (`2y`, `90d`, `5s`); reading never needs a live key' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l rsa -d 'RSA-4096 instead of Cv25519 (for very old OpenPGP tools)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l out -d 'Write to this file (0600) instead of standard output' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l public -d 'Only the public certificate (give it to `init --recipient` elsewhere)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l secret -d 'The secret key, as protected as the key file is'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l paper -d 'A printable recovery sheet: the armored key, fingerprints, the repository (-r) with its signer pin, and the exact restore commands'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l out -d 'Where to write the key; never over an existing file' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from import-paper" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-recipient" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-recipient" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l host -d 'The only host name its snapshots may carry (default: the host in the key\'s user id, as `cairn key generate` writes it)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from add-writer" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from remove-writer" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l sign-with -d 'Sign with this key while reading with -k: after `rotate-signer`, read with the old key and sign with the new one' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l dry-run -d 'Count what is not yet encrypted to the current list; change nothing'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rewrap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l new -d 'The new signing key (a secret key file; its passphrase from CAIRN_NEW_PASSPHRASE_FILE or the usual sources)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from rotate-signer" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l no-passphrase -d 'Store the key unprotected (only its file permissions guard it)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from passwd" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l expires -d '`never`, or a time from now (`2y`, `90d`, `12h`, `5s`)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from extend" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "generate" -d 'Generate a new key (Cv25519 unless --rsa); written 0600, never over an existing file'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "export" -d 'Print the key (-k) armored, as `gpg --import` reads it'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "import-paper" -d 'Turn a recovery sheet (typed or scanned back into text) into a key file (0600)'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "add-recipient" -d 'Encrypt every object written from now on also to this public certificate (run with the repository\'s signing key); `key rewrap` does the stored ones'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "remove-recipient" -d 'Stop encrypting new objects to this key (run with the signing key); stored objects stay readable by it until `key rewrap`'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "add-writer" -d 'Let a write-only backup host\'s key back up (run with the signing key): it reads the config and index, signs its own host\'s snapshots, and decrypts no data'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "remove-writer" -d 'Stop encrypting the config and index to a write-only host key; what it signed verifies until `key rewrap` signs it again'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "rewrap" -d 'Re-encrypt stored snapshots, packs, index objects and verified records to the current recipients (run with the signing key); resumable and safe to interrupt'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "rotate-signer" -d 'Hand the repository\'s signing over to another key (run with the current signing key); readers pinned to the old key follow the signed hand-over'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "passwd" -d 'Change or remove the passphrase of the key file (-k); no repository is touched'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "info" -d 'Show the key\'s fingerprint, algorithms, expiry and protection'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "extend" -d 'Set when the key (-k) expires, primary key and subkeys; rewrites the key file'
complete -c cairn -n "__fish_cairn_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cairn -n "__fish_cairn_using_subcommand init" -l recipient -d 'Also encrypt everything to this public certificate (repeatable), e.g. an offline disaster-recovery key; any one of the secret keys restores everything' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand init" -l copy-params-from -d 'Take the blob-id key, chunker key and chunk sizes of this repository, so that `cairn copy` between the two moves only what is missing and never re-hashes. The holders of either repository\'s keys can then tell whether the other holds a given piece of data (see docs/OPERATIONS.md, "A second copy")' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -l from-key -d 'The key that opens --copy-params-from [default: -k/--key]; its passphrase comes from CAIRN_FROM_PASSPHRASE_FILE or CAIRN_FROM_PASSPHRASE, else as -k\'s does' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand init" -l stream-chunk-size -d 'Average chunk size of streams and dump files: 64K (the default), 32K, 16K or 8K; chunks are at least a quarter and at most four times that. Smaller chunks store more on the first day and less on the next ones when backups run with `--no-delta` (16K: +11 to +17 MB a day on a 610 MB dump, 64K: +22 to +31 MB; with deltas 64K is the cheaper both ways). Fixed for the repository\'s life' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand init" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand init" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand init" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand init" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand init" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand init" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand init" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand init" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand init" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand init" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l files-from -d 'Back up the paths FILE lists too, one per line: blank lines and lines starting with \'#\' are skipped, relative paths are relative to the working directory, `-` reads standard input (repeatable)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l files-from0 -d 'Like --files-from, the paths separated by NUL bytes (`find -print0`), none skipped' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l stdin-name -d 'Back up standard input (or --stdin-from\'s output) as a file of this name' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l stdin-from -d 'Run this command (via sh -c) and back up its output; a non-zero exit fails the backup and no snapshot is written' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l pass-env -d 'Give --stdin-from\'s command this variable, which commands do not get otherwise (CAIRN_PASSPHRASE, OS_PASSWORD, AWS_SECRET_ACCESS_KEY…; repeatable)' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l postgres -d 'Dump this PostgreSQL database into the snapshot (postgresql://[USER@][HOST][:PORT]/DB; with no database, every one on the server; repeatable). Passwords come from ~/.pgpass, PGPASSFILE or PGPASSWORD, never the URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l postgres-globals -d 'What of the PostgreSQL servers\' roles and tablespaces (pg_dumpall --globals-only) to dump: all; no-role-passwords (no superuser needed, as on managed services); none [default: all]' -r -f -a "all\t''
no-role-passwords\t''
none\t''"
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l mysql -d 'Dump this MariaDB/MySQL database with mariadb-dump (mysql://[USER@][HOST][:PORT]/DB or mariadb://…; with no database, every one but the system schemas; repeatable). Passwords come from ~/.my.cnf, --mysql-option-file or MYSQL_PWD, never the URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l mysql-option-file -d 'An option file ([client] password=…) for every --mysql server, read by the tools as --defaults-extra-file' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l mongodb -d 'Dump this MongoDB database with mongodump --archive (mongodb://[USER@]HOST[:PORT]/DB; repeatable)' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l mongodb-config -d 'A mongodump --config file (password: …) for every --mongodb server' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l exclude-database -d 'Leave this database out of an all-databases dump (repeatable)' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -s e -l exclude -d 'Leave out what matches this pattern (repeatable): \'*.tmp\', \'git/RelNotes\' at any depth, \'/var/cache\' from the root, \'**\' across directories, \'!PATTERN\' to take an earlier match back (rules: docs/PATTERNS.md)' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l iexclude -d 'Like --exclude, ignoring case' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l exclude-file -d 'Read --exclude patterns from a file, one per line (\'#\' comments, $VAR expanded)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l iexclude-file -d 'Read --iexclude patterns from a file, one per line' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l tag -d 'Tag the snapshot (repeatable)' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l host -d 'Host name to record [default: this machine\'s]' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l profile -d 'Profile name to record; `forget` keeps each profile\'s snapshots as their own group' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l wait-lock -d 'If a prune holds the repository, wait up to this long (e.g. 30m) instead of failing' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l time -d 'Snapshot time, RFC 3339 (e.g. 2026-01-31T02:00:00Z) [default: now]' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l allow-empty -d 'Save the stream even when it is empty; without this a 0-byte input fails the backup (a dump that printed nothing is not a backup)'
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l postgres-all -d 'Dump every database on the server the PG* variables (or libpq\'s defaults) name'
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l snapshot-per-database -d 'One snapshot per database (each with its server\'s globals) instead of one for everything; backed-up paths then get a snapshot of their own'
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l exclude-caches -d 'Skip directories holding a valid CACHEDIR.TAG'
complete -c cairn -n "__fish_cairn_using_subcommand backup" -s x -l one-file-system -d 'Do not cross into other file systems'
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l no-delta -d 'Store changed chunks of streams and dumps whole, not as deltas against the parent snapshot\'s (which reads the parent\'s packs back from the repository)'
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand backup" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand backup" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand backup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l host -d 'Only snapshots of this host' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l tag -d 'Only snapshots with this tag' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l path -d 'Only snapshots that include this path' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l databases -d 'One line per database dump instead of per snapshot: database, size, tables, rows, dump duration, server and dump tool versions'
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand snapshots" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l host -d 'Only snapshots of this host' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l tag -d 'Only snapshots with this tag' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l path -d 'Only snapshots that include this path' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand ls" -s l -l long -d 'Show mode, owner, group, size and modification time, like `ls -l`; a database dump is followed by what the snapshot records of it (database, tables, rows, dump duration, server and dump tool versions)'
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand ls" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand ls" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand restore" -s t -l target -d 'Directory to restore into (created if missing)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l to-tar -d 'Write what would be restored as a tar archive (POSIX pax) to FILE, or to standard output for `-`, instead of into a directory' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore" -s i -l include -d 'Restore only what matches this pattern (repeatable), e.g. /etc/nginx or \'*.conf\'; a directory comes with everything below it (rules: docs/PATTERNS.md)' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l iinclude -d 'Like --include, ignoring case' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l include-file -d 'Read --include patterns from a file, one per line' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l iinclude-file -d 'Read --iinclude patterns from a file, one per line' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore" -s e -l exclude -d 'Leave out what matches this pattern (repeatable): \'*.tmp\', \'git/RelNotes\' at any depth, \'/var/cache\' from the root, \'**\' across directories, \'!PATTERN\' to take an earlier match back (rules: docs/PATTERNS.md)' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l iexclude -d 'Like --exclude, ignoring case' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l exclude-file -d 'Read --exclude patterns from a file, one per line (\'#\' comments, $VAR expanded)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l iexclude-file -d 'Read --iexclude patterns from a file, one per line' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l overwrite -d 'What to do with an entry already in the target where the snapshot has one' -r -f -a "always\t'Replace it'
if-changed\t'Replace it unless it has the snapshot\'s type, size and mtime'
if-newer\t'Replace it only if the snapshot\'s is newer (by mtime)'
never\t'Leave it as it is'"
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l host -d 'Only snapshots of this host' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l tag -d 'Only snapshots with this tag' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l path -d 'Only snapshots that include this path' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l keep-setuid -d 'Restore setuid/setgid bits when not running as root too (root always restores them; otherwise they are left off, as tar does)'
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l delete -d 'Remove entries of the target that the restored part of the snapshot does not have (what the snapshot has but the restore leaves out stays)'
complete -c cairn -n "__fish_cairn_using_subcommand restore" -s n -l dry-run -d 'Change nothing; report what would be restored, replaced and deleted'
complete -c cairn -n "__fish_cairn_using_subcommand restore" -s v -l verbose -d 'Name each replaced and deleted path'
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand restore" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand restore" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l archive -d 'Write the path and everything below it as an archive of this format (the directories above it come along, as a restore makes them)' -r -f -a "tar\t'POSIX tar (pax), as GNU tar and bsdtar read it'"
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l host -d 'Only snapshots of this host' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l tag -d 'Only snapshots with this tag' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l path -d 'Only snapshots that include this path' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand dump" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand dump" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand dump" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l host -d 'Only snapshots of this host' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l tag -d 'Only snapshots with this tag' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l path -d 'Only snapshots that include this path' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand diff" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand diff" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand check" -l read-data-subset -d 'Verify a subset of packs: N% (random, rounded up to at least one pack) or n/m (the n-th of m fixed buckets; 1/m … m/m in turn read everything)' -r
complete -c cairn -n "__fish_cairn_using_subcommand check" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand check" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand check" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand check" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand check" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand check" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand check" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand check" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand check" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand check" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand check" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand check" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand check" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand check" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand check" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand check" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand check" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand check" -l read-data -d 'Download and verify every pack'
complete -c cairn -n "__fish_cairn_using_subcommand check" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand check" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand check" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand check" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand stats" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand stats" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand stats" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand stats" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand stats" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-last -d 'Keep the N newest snapshots' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-hourly -d 'Keep the newest snapshot of each of the N most recent hours that have one' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-daily -d 'Keep the newest snapshot of each of the N most recent days that have one' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-weekly -d 'Keep the newest snapshot of each of the N most recent ISO weeks that have one' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-monthly -d 'Keep the newest snapshot of each of the N most recent months that have one' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-yearly -d 'Keep the newest snapshot of each of the N most recent years that have one' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-within -d 'Keep every snapshot newer than DURATION before the group\'s newest (e.g. 30d, 2w, 1y6m, 12h)' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-within-hourly -d 'Keep the newest snapshot of each hour within DURATION of the group\'s newest' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-within-daily -d 'Keep the newest snapshot of each day within DURATION of the group\'s newest' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-within-weekly -d 'Keep the newest snapshot of each ISO week within DURATION of the group\'s newest' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-within-monthly -d 'Keep the newest snapshot of each month within DURATION of the group\'s newest' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-within-yearly -d 'Keep the newest snapshot of each year within DURATION of the group\'s newest' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-tag -d 'Keep snapshots with this tag; `a,b` needs both (repeatable: any of them)' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l group-by -d 'Group by these fields: host, profile, paths, tags (comma list; "" for one group)' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l max-unused -d 'Repack a partly used pack when more than this share of it is unused: a percentage, or `unlimited` to only delete packs nothing uses' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l max-repack-size -d 'Repack at most this many stored bytes in one run (e.g. 500M, 2G)' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l host -d 'Only snapshots of this host' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l tag -d 'Only snapshots with this tag' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l path -d 'Only snapshots that include this path' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l keep-none -d 'Allow removing every snapshot of a group, or with no policy every selected snapshot'
complete -c cairn -n "__fish_cairn_using_subcommand forget" -s n -l dry-run -d 'Show what would be removed, and why each snapshot stays, without changing anything'
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l prune -d 'Prune right after, under the same lock (as `cairn prune` would)'
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l recount -d 'Also count every blob in use from scratch (every index file read, every snapshot walked) and compare with the ledger kept in the cache; prune does this by itself every 30 runs'
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand forget" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand forget" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand forget" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l max-unused -d 'Repack a partly used pack when more than this share of it is unused: a percentage, or `unlimited` to only delete packs nothing uses' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l max-repack-size -d 'Repack at most this many stored bytes in one run (e.g. 500M, 2G)' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l wait-lock -d 'If another process holds the repository, wait up to this long (e.g. 30s, 10m)' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l recount -d 'Also count every blob in use from scratch (every index file read, every snapshot walked) and compare with the ledger kept in the cache; prune does this by itself every 30 runs'
complete -c cairn -n "__fish_cairn_using_subcommand prune" -s n -l dry-run -d 'Show what would be deleted and repacked; change nothing'
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand prune" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand prune" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -s n -l dry-run -d 'Say what would be done; change nothing (packs are still read)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -f -a "index" -d 'Rebuild the index from the headers of the packs in storage (unreadable packs are reported and left alone)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -f -a "snapshots" -d 'Write, for each snapshot that depends on lost data, a repaired snapshot without the lost files (the original stays until `forget`)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and not __fish_seen_subcommand_from index snapshots help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -s n -l dry-run -d 'Say what would be done; change nothing (packs are still read)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from index" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -s n -l dry-run -d 'Say what would be done; change nothing (packs are still read)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from snapshots" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from help" -f -a "index" -d 'Rebuild the index from the headers of the packs in storage (unreadable packs are reported and left alone)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from help" -f -a "snapshots" -d 'Write, for each snapshot that depends on lost data, a repaired snapshot without the lost files (the original stays until `forget`)'
complete -c cairn -n "__fish_cairn_using_subcommand repair; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l remove-all -d 'Remove every lock, not only stale ones (only when no cairn process uses the repository)'
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand unlock" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l to -d 'Destination repository: a directory path, file:///path, swift://… or s3://…' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l to-key -d 'The destination\'s signing key [default: -k/--key]; its passphrase comes from CAIRN_TO_PASSPHRASE_FILE or CAIRN_TO_PASSPHRASE, else as -k\'s does' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l host -d 'Only snapshots of this host' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l tag -d 'Only snapshots with this tag' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l path -d 'Only snapshots that include this path' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand copy" -s n -l dry-run -d 'Show what would be copied (reads the source\'s trees), and store nothing'
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand copy" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand copy" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand copy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand run" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand run" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand run" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand run" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand run" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand run" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand run" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand run" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand run" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand run" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand run" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand run" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand run" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand run" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand run" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand run" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand run" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand run" -l all -d 'Run every profile `cairn profile list` shows, one after another'
complete -c cairn -n "__fish_cairn_using_subcommand run" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand run" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand run" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand run" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l snapshot -d 'Snapshot id (prefix) or `latest`: the newest snapshot holding the database' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l database -d 'The database in the snapshot, as it was named on the source server' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l target -d 'The test database: postgresql://USER@HOST:PORT/DB (no password: .pgpass, PGPASSFILE or PGPASSWORD) or mysql://USER@HOST:PORT/DB (~/.my.cnf, --option-file, MYSQL_PWD)' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l scrub -d 'SQL file run in the restored database before it is checked and swapped in; repeat for several, run in order' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l check -d 'A query that must return true in the restored database (after the scrub), e.g. "SELECT count(*) > 0 FROM users"; repeatable' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l keep -d 'Keep this many replaced test databases (as <target>__cairn_old_<time>) [default: 0]' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l owner -d 'Role that owns the new database and every object restored into it (the connecting role must be a member); without it, the connecting role owns them' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -s j -l jobs -d 'Parallel restore jobs; more than 1 writes the dump to a temporary file first' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l option-file -d 'MariaDB/MySQL: an option file ([client] password=…) for the target server, read as --defaults-extra-file' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l host -d 'Only snapshots of this host' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l tag -d 'Only snapshots with this tag' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l path -d 'Only snapshots that include this path' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l no-privileges -d 'Leave out GRANT and REVOKE (when the source server\'s roles do not exist here)'
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l dry-run -d 'Say what would happen, changing nothing (the target server is still asked what databases it has)'
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand mirror" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l database -d 'The database in the snapshot, as it was named on the source server' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l to -d 'Where to restore it: postgresql://USER@HOST:PORT/[DB] or mysql://… (no password; DB defaults to --database)' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l owner -d 'Role that owns the new database and every object restored into it (the connecting role must be a member); without it, the connecting role owns them' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -s j -l jobs -d 'Parallel restore jobs; more than 1 writes the dump to a temporary file first' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l option-file -d 'MariaDB/MySQL: an option file ([client] password=…) for the target server, read as --defaults-extra-file' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l host -d 'Only snapshots of this host' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l tag -d 'Only snapshots with this tag' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l path -d 'Only snapshots that include this path' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l replace -d 'Replace the database if it exists (the old one is dropped once the restored one passed its checks); without it, an existing database is refused'
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l globals -d 'First restore the server\'s roles and tablespaces from the snapshot\'s globals.sql (pg_dumpall --globals-only), going past those that exist already; this changes the server outside the restored database and is not undone on failure'
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l no-privileges -d 'Leave out GRANT and REVOKE (when the source server\'s roles do not exist here)'
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l dry-run -d 'Say what would happen, changing nothing'
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand restore-db" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -f -a "check" -d 'Test a profile without writing anything: it parses, the key and passphrase unlock, the repository opens, the source exists, notification URLs parse'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -f -a "list" -d 'List the profiles found by name, and their files'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and not __fish_seen_subcommand_from check list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "check" -d 'Test a profile without writing anything: it parses, the key and passphrase unlock, the repository opens, the source exists, notification URLs parse'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the profiles found by name, and their files'
complete -c cairn -n "__fish_cairn_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cairn -n "__fish_cairn_using_subcommand completions" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand completions" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand completions" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand completions" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand man" -l out -d 'Directory to write the pages into (created if missing; pages of the same names are replaced, other files left alone)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand man" -s r -l repo -d 'Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX' -r
complete -c cairn -n "__fish_cairn_using_subcommand man" -s k -l key -d 'Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand man" -l trust-signer -d 'Fingerprint of the key that must have signed the repository, when reading with a key that is not that key (a recipient or recovery key); recorded on first use' -r
complete -c cairn -n "__fish_cairn_using_subcommand man" -l cache-dir -d 'Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand man" -l progress -d 'Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")' -r -f -a "auto\t'A bar when stderr is a terminal; JSON events with --json; nothing with --quiet'
json\t'JSON events on stderr, also with --quiet and without --json'
none\t'No progress at all'"
complete -c cairn -n "__fish_cairn_using_subcommand man" -l tz -d 'Time zone of the times shown and of forget\'s days, weeks and months: local (TZ, else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin' -r
complete -c cairn -n "__fish_cairn_using_subcommand man" -l config -d 'Directory searched first for profiles, NAME.toml (`run`, `profile`) [then ~/.config/cairn/profiles, /etc/cairn/profiles]' -r -F
complete -c cairn -n "__fish_cairn_using_subcommand man" -l nice -d 'Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands and database dumps inherit it. Wins over a profile\'s `nice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand man" -l ionice -d 'I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile\'s `ionice`' -r
complete -c cairn -n "__fish_cairn_using_subcommand man" -l connections -d 'Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]' -r
complete -c cairn -n "__fish_cairn_using_subcommand man" -l s3-endpoint -d 'Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK also reads AWS_ENDPOINT_URL' -r
complete -c cairn -n "__fish_cairn_using_subcommand man" -l s3-path-style -d 'Path-style bucket addressing [default: on when a custom endpoint is set]' -r -f -a "true\t''
false\t''"
complete -c cairn -n "__fish_cairn_using_subcommand man" -l s3-storage-class -d 'Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)' -r
complete -c cairn -n "__fish_cairn_using_subcommand man" -l s3-sse -d 'Server-side encryption: AES256 or aws:kms (on top of cairn\'s own encryption)' -r
complete -c cairn -n "__fish_cairn_using_subcommand man" -l s3-sse-kms-key-id -d 'KMS key for --s3-sse aws:kms' -r
complete -c cairn -n "__fish_cairn_using_subcommand man" -l s3-conditional-put -d 'Use If-None-Match conditional PUTs; `off` for stores that ignore the header' -r -f -a "on\t''
off\t''"
complete -c cairn -n "__fish_cairn_using_subcommand man" -l s3-multipart-mib -d 'Objects at least this large are uploaded in parts (MiB)' -r
complete -c cairn -n "__fish_cairn_using_subcommand man" -l no-cache -d 'Keep no cache on disk (slower; for one-off restores on a bare machine)'
complete -c cairn -n "__fish_cairn_using_subcommand man" -l json -d 'Print machine-readable JSON on stdout'
complete -c cairn -n "__fish_cairn_using_subcommand man" -s q -l quiet -d 'Print only errors and warnings'
complete -c cairn -n "__fish_cairn_using_subcommand man" -l utc -d 'Show times in UTC (same as --tz utc)'
complete -c cairn -n "__fish_cairn_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "key" -d 'Generate, export or inspect keys'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "init" -d 'Create a new repository'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "backup" -d 'Back up files, standard input or a command\'s output'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "snapshots" -d 'List snapshots'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "ls" -d 'List files in a snapshot'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "restore" -d 'Restore a snapshot into a directory'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "dump" -d 'Write one file of a snapshot to standard output'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "diff" -d 'Show what changed between two snapshots'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "check" -d 'Verify the repository\'s structure and, optionally, its data'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "stats" -d 'Show repository statistics'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "forget" -d 'Remove snapshots by a keep policy (daily/weekly/monthly…) or by id'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "prune" -d 'Delete data no snapshot needs and repack mostly unused packs'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "repair" -d 'Rebuild the index from the packs and rewrite snapshots that lost data (`index`, then `snapshots`; both without a subcommand)'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "unlock" -d 'Remove stale locks'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "copy" -d 'Copy snapshots into another repository (a second copy on other storage)'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "run" -d 'Run profiles: hooks, backup, retention, check and notifications, as cron should'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "mirror" -d 'Refresh a test database from a snapshot\'s dump: restore, scrub, check, swap'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "restore-db" -d 'Restore a database from a snapshot into a server (disaster recovery)'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "profile" -d 'Check or list profiles'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "completions" -d 'Print a completion script for bash, zsh or fish'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "man" -d 'Write the manual pages (cairn.1 and one per command) into a directory'
complete -c cairn -n "__fish_cairn_using_subcommand help; and not __fish_seen_subcommand_from key init backup snapshots ls restore dump diff check stats forget prune repair unlock copy run mirror restore-db profile completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "generate" -d 'Generate a new key (Cv25519 unless --rsa); written 0600, never over an existing file'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "export" -d 'Print the key (-k) armored, as `gpg --import` reads it'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "import-paper" -d 'Turn a recovery sheet (typed or scanned back into text) into a key file (0600)'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "add-recipient" -d 'Encrypt every object written from now on also to this public certificate (run with the repository\'s signing key); `key rewrap` does the stored ones'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "remove-recipient" -d 'Stop encrypting new objects to this key (run with the signing key); stored objects stay readable by it until `key rewrap`'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "add-writer" -d 'Let a write-only backup host\'s key back up (run with the signing key): it reads the config and index, signs its own host\'s snapshots, and decrypts no data'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "remove-writer" -d 'Stop encrypting the config and index to a write-only host key; what it signed verifies until `key rewrap` signs it again'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "rewrap" -d 'Re-encrypt stored snapshots, packs, index objects and verified records to the current recipients (run with the signing key); resumable and safe to interrupt'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "rotate-signer" -d 'Hand the repository\'s signing over to another key (run with the current signing key); readers pinned to the old key follow the signed hand-over'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "passwd" -d 'Change or remove the passphrase of the key file (-k); no repository is touched'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "info" -d 'Show the key\'s fingerprint, algorithms, expiry and protection'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "extend" -d 'Set when the key (-k) expires, primary key and subkeys; rewrites the key file'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from repair" -f -a "index" -d 'Rebuild the index from the headers of the packs in storage (unreadable packs are reported and left alone)'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from repair" -f -a "snapshots" -d 'Write, for each snapshot that depends on lost data, a repaired snapshot without the lost files (the original stays until `forget`)'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "check" -d 'Test a profile without writing anything: it parses, the key and passphrase unlock, the repository opens, the source exists, notification URLs parse'
complete -c cairn -n "__fish_cairn_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "list" -d 'List the profiles found by name, and their files'
