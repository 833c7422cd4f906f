// TransportAPI: how a message reaches another server.
//
// One-way: send() hands the message over and returns; the node never waits
// for a reply. A transport may drop, delay, duplicate or reorder messages;
// Raft tolerates all of it. A message queue is a valid transport.
//
// The receiving side calls RaftNode::receive(Message) (or receive_bytes()
// with coraft's codec) on the receiving node's executor.
#pragma once

#include "coraft/messages.h"
#include "coraft/types.h"

namespace coraft {

class TransportAPI {
 public:
  virtual ~TransportAPI() = default;

  // Called on the node's executor. Must not block and must not call back
  // into the sending node. The message is the implementation's (moved in).
  // Errors (no connection, full queue) are the transport's to absorb: drop
  // the message; Raft retries what matters.
  virtual void send(NodeId to, Message message) = 0;
};

}  // namespace coraft
