/* SPDX-License-Identifier: MIT */
/*
 * The input language of fuzz-control (fuzz-control.c), shared with the
 * seed corpus generator (gen-corpus.c).
 *
 * An input is a sequence of operations, each an op byte and its operands;
 * an input that ends early reads zeros. Slots are client connections to
 * the control socket (CTL_FUZZ_SLOTS, operands taken modulo).
 *
 *   CONNECT  slot              connect a client (a connection in the slot
 *                              is closed first)
 *   SEND     slot, len, pick,  send one message of len bytes; if pick is
 *            then len bytes    not 0xff and the message holds a token
 *                              field, the (pick % CTL_FUZZ_TOKENS)-th
 *                              mapping token of TOKEN goes there
 *   TOKEN    how               issue a mapping token for the harness's
 *                              buffer: bits 0-1 the access mode it grants
 *                              (3: O_RDWR), bit 2 issued to uid 1000
 *   RUN                        run the loop and read every reply
 *   CLOSE    slot              close the connection
 *   SHUT     slot              shutdown(SHUT_WR): the daemon reads EOF
 *                              while it may still be answering
 *
 * After the last operation the harness runs the loop and reads, closes
 * every connection, drops the tokens it holds and clears any DMA fault,
 * and checks that the daemon is back where it started.
 */
#pragma once

enum ctl_fuzz_op {
	CTL_FUZZ_CONNECT,
	CTL_FUZZ_SEND,
	CTL_FUZZ_TOKEN,
	CTL_FUZZ_RUN,
	CTL_FUZZ_CLOSE,
	CTL_FUZZ_SHUT,
	_CTL_FUZZ_OPS,
};

#define CTL_FUZZ_SLOTS 4
#define CTL_FUZZ_TOKENS 8

#define CTL_FUZZ_TOKEN_UID1000 0x04
