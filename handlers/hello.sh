#!/bin/sh
# hello.sh -- a function written in shell: any executable that prints a
# CGI response (headers, a blank line, the body) to stdout will do.
printf 'Content-Type: text/plain\n\n'
printf 'Hello from %s, a shell function.\n' "${FN_NAME:-?}"
printf 'method=%s request_id=%s\n' "${REQUEST_METHOD:-?}" "${FN_REQUEST_ID:-?}"
printf 'now='
date -u
