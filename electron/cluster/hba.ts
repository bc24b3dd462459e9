/**
 * Who may log in how, in our own file next to emily.conf (the server reads it through
 * hba_file, so initdb's pg_hba.conf is left as it was made).
 *
 * Over TCP every login is SCRAM. Over the Unix-domain socket in the data folder the client
 * sends the role's password itself: that socket is reachable only by the server's own OS
 * user (the folder is 0700), who can read the password files anyway, so SCRAM's protection
 * against eavesdroppers and impostor servers buys nothing there, while its client-side
 * key derivation and extra round trip cost every new connection ~1 ms; with 600 users over
 * 60 connections, Emily connects a hundred times a second. The server still checks the
 * password against the role's SCRAM verifier.
 */
export const HBA_FILE = 'emily_hba.conf';

export function hbaRules(): string {
  return [
    '# Written by Emily at every start; edits are overwritten.',
    '# TYPE  DATABASE     USER  ADDRESS        METHOD',
    'local   all          all                  password',
    'host    all          all   127.0.0.1/32   scram-sha-256',
    'host    all          all   ::1/128        scram-sha-256',
    'local   replication  all                  password',
    'host    replication  all   127.0.0.1/32   scram-sha-256',
    'host    replication  all   ::1/128        scram-sha-256',
    '',
  ].join('\n');
}
