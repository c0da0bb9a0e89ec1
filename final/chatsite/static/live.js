// Live updates for a thread page (step 15).
//
// The thread page works without this file: it is a plain HTML page with a
// reply form. This script only adds to it. While the page is open, it:
//
// - opens a WebSocket to the server (live.py) and puts each new post at the
//   end of the thread as soon as the server sends it, and the new "Replies:"
//   line of each older post it quotes (step 18); removes deleted posts;
//   swaps the reply form for a notice when a moderator locks the thread;
// - counts the new posts in the tab's title, "(3) ...", while the tab is hidden;
// - when the socket cannot open (a proxy that does not let WebSockets through,
//   a server that is full) or breaks: asks the API every few seconds instead
//   ("polling"), and tries the socket again a minute later;
// - when the server has too much news for the socket ("catch-up"): loads it
//   from the API, then opens a new socket at once.
//
// Plain modern JavaScript, no libraries, no build step: the browser runs this
// very file. The page loads it with <script src="..." defer>, so it runs once
// the whole page has been read and every element below can be found.

"use strict";

// How often to ask the API when there is no socket, in milliseconds.
const POLL_EVERY_MS = 3000;
// How long to poll before trying the socket again.
const RETRY_SOCKET_AFTER_MS = 60000;
// The API sends at most this many posts at a time (api.py, POSTS_PER_PAGE).
const POSTS_PER_ANSWER = 100;

// What the status line says in each mode (thread.html, #live-status).
const LIVE_MESSAGE = "Live: new replies appear here.";
const POLLING_MESSAGE = "Checking for new replies every few seconds.";

// The element that holds the posts, and the data attributes thread.html wrote
// on it. It is on thread pages only; on any other page this script does nothing.
const postsElement = document.getElementById("posts");
if (postsElement) {
  startLiveUpdates(postsElement);
}

function startLiveUpdates(posts) {
  // dataset.lastEvent is the attribute data-last-event, always as text.
  let lastEvent = Number(posts.dataset.lastEvent); // the newest event this page has seen
  let lastPost = Number(posts.dataset.lastPost); // the highest post id on the page
  let locked = posts.dataset.locked === "true";
  const status = document.getElementById("live-status");
  const pageTitle = document.title;

  let unseenPosts = 0; // posts that arrived while the tab was hidden
  let socket = null;
  let polling = false;
  let pollTimer = null;
  let etag = null; // the ETag of the API's last answer, sent back as If-None-Match
  let threadDeleted = false; // once true, everything stops
  let catchingUp = false; // the server said "catch-up": load the news over HTTP

  openSocket();

  // Back on the tab: the reader has seen the new posts, clear the count.
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      unseenPosts = 0;
      document.title = pageTitle;
    }
  });

  // --- The WebSocket -------------------------------------------------------

  function openSocket() {
    // The socket's address: the page's own host, with ws:// for a page served
    // over http:// and wss:// (encrypted) for one served over https://.
    // ?after= asks for everything that happened since this page was made.
    const url = new URL(posts.dataset.liveUrl, window.location.href);
    url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("after", lastEvent);
    try {
      socket = new WebSocket(url);
    } catch (error) {
      // Some browsers, extensions or policies refuse to even create one.
      socketFailed();
      return;
    }
    socket.addEventListener("open", () => {
      stopPolling();
      showStatus(LIVE_MESSAGE);
    });
    socket.addEventListener("message", (event) => {
      handleMessage(JSON.parse(event.data));
    });
    // "close" comes whenever the socket ends: it never opened (the browser
    // also fires "error" then), the server closed it (1013: too many
    // sockets; 1000 after "thread-delete" or "catch-up"), or the network broke.
    socket.addEventListener("close", () => {
      socket = null;
      if (threadDeleted) {
        return;
      }
      if (catchingUp) {
        catchingUp = false;
        catchUp();
      } else {
        socketFailed();
      }
    });
  }

  // The server had more news than one socket sends at once (live.py,
  // LIVE_BACKLOG_LIMIT and LIVE_MAX_MESSAGE_BYTES): ask the API for it, as
  // many times as it takes, then open a socket from there. If the API did not
  // bring the page up to date (the site is busy), poll as when the socket fails.
  async function catchUp() {
    const before = lastEvent;
    try {
      while ((await fetchNewPosts()) === POSTS_PER_ANSWER) {
        // a full answer: there may be more, ask again at once
      }
    } catch (error) {
      // The network or the server is down for a moment: poll instead, below.
    }
    if (threadDeleted) {
      return;
    }
    if (lastEvent > before) {
      openSocket();
    } else {
      socketFailed();
    }
  }

  function socketFailed() {
    startPolling();
    window.setTimeout(() => {
      if (!threadDeleted && socket === null) {
        openSocket();
      }
    }, RETRY_SOCKET_AFTER_MS);
  }

  // One message from the server (live.py): {"type": ..., "event": ..., ...}.
  function handleMessage(message) {
    if (message.type === "catch-up") {
      catchingUp = true; // the server closes the socket next
      return;
    }
    lastEvent = Math.max(lastEvent, message.event);
    switch (message.type) {
      case "post":
        addPost(message.id, message.html);
        updateBacklinks(message.backlinks);
        break;
      case "delete":
        removePost(message.id);
        break;
      case "lock":
        showLocked();
        break;
      case "unlock":
        showUnlocked();
        break;
      case "thread-delete":
        showThreadDeleted();
        break;
      case "move":
        // The thread's address stays the same, so there is nothing to change
        // (the board named above the title is the old one until a reload).
        break;
    }
  }

  // --- Polling the API, when there is no socket ----------------------------

  function startPolling() {
    if (polling || threadDeleted) {
      return;
    }
    polling = true;
    showStatus(POLLING_MESSAGE);
    poll();
  }

  function stopPolling() {
    polling = false;
    window.clearTimeout(pollTimer);
  }

  // Ask once, then again POLL_EVERY_MS after the answer (not every 3 s on the
  // clock: a slow answer never has a second question overtake it).
  async function poll() {
    let askAgainAt = POLL_EVERY_MS;
    try {
      const postsReceived = await fetchNewPosts();
      if (postsReceived === POSTS_PER_ANSWER) {
        askAgainAt = 0; // there may be more: ask at once, after the last one
      }
    } catch (error) {
      // The network or the server is down for a moment: try again next time.
    }
    if (polling && !threadDeleted) {
      pollTimer = window.setTimeout(poll, askAgainAt);
    }
  }

  // GET /api/threads/<id>/posts?after=<lastPost>, and apply the answer.
  // Returns how many posts it received.
  async function fetchNewPosts() {
    const url = new URL(posts.dataset.pollUrl, window.location.href);
    url.searchParams.set("after", lastPost);
    // If-None-Match: "this is the ETag of what you sent me last time". If
    // nothing has changed since, the server answers 304 Not Modified, with no
    // body: the cheapest possible "nothing new". ("no-store": this script
    // deals with the 304 itself, the browser's cache is not needed.)
    const headers = etag ? { "If-None-Match": etag } : {};
    const response = await fetch(url, { headers, cache: "no-store" });
    if (response.status === 304) {
      return 0;
    }
    if (response.status === 404) {
      showThreadDeleted(); // the thread is gone
      return 0;
    }
    if (!response.ok) {
      return 0; // e.g. 503, the site is busy: ask again later
    }
    etag = response.headers.get("ETag");
    const answer = await response.json();
    for (const post of answer.posts) {
      addPost(post.id, post.html);
      updateBacklinks(post.backlinks);
    }
    // Every post on the page that the thread no longer has was deleted.
    removePostsNotIn(new Set(answer.post_ids));
    if (answer.locked && !locked) {
      showLocked();
    } else if (!answer.locked && locked) {
      showUnlocked();
    }
    // When all the new posts came (fewer than a full answer), the page is up
    // to date with the thread's newest event: a socket opened later starts there.
    if (answer.posts.length < POSTS_PER_ANSWER) {
      lastEvent = Math.max(lastEvent, answer.last_event);
    }
    return answer.posts.length;
  }

  // --- Changing the page ---------------------------------------------------

  // Add a post at the end of the thread, unless the page shows it already.
  // That happens: a reply posted from this tab reloads the page, and the new
  // page may still get that reply's event; the socket and the API may send a
  // post that was stored while the page was being made.
  function addPost(postId, html) {
    lastPost = Math.max(lastPost, postId);
    if (document.getElementById(`post-${postId}`)) {
      return;
    }
    // "This thread has no posts yet." is not true any more.
    posts.querySelector(".empty")?.remove();
    // The HTML comes from our own server, made by the same template as the
    // rest of the page (templates/_post.html), where Jinja escaped what the
    // poster typed. So it is safe to insert as HTML, as the page itself is.
    posts.insertAdjacentHTML("beforeend", html);
    if (document.hidden) {
      unseenPosts += 1;
      document.title = `(${unseenPosts}) ${pageTitle}`;
    }
  }

  // A new post quotes older posts of this thread: each of them gets its new
  // "Replies: >>..." line, [{post_id, html}] from the server (the same
  // templates/_backlinks.html as the page), in place of the old one, or as
  // the last thing in its <article> if it had none.
  function updateBacklinks(backlinks) {
    for (const { post_id: postId, html } of backlinks ?? []) {
      const article = document.getElementById(`post-${postId}`);
      if (!article) {
        continue; // not on this page (deleted meanwhile)
      }
      const old = article.querySelector(":scope > .backlinks");
      if (old) {
        old.outerHTML = html;
      } else {
        article.insertAdjacentHTML("beforeend", html);
      }
    }
  }

  function removePost(postId) {
    document.getElementById(`post-${postId}`)?.remove();
    // On a moderator's page, the post's Delete button goes with it (thread.html).
    posts.querySelector(`.post-actions[data-post-id="${postId}"]`)?.remove();
    forgetLinksTo(postId);
  }

  // The links to a deleted post go, as they would after a reload (step 18): in
  // a "Replies:" line the link is removed (and the line, once empty); in a
  // post's text, ">>129" stays, as plain text.
  function forgetLinksTo(postId) {
    for (const link of posts.querySelectorAll(`a.quote-link[href="#post-${postId}"]`)) {
      const line = link.closest(".backlinks");
      if (line) {
        link.remove();
        if (!line.querySelector("a")) {
          line.remove();
        }
      } else {
        link.replaceWith(link.textContent);
      }
    }
  }

  function removePostsNotIn(postIds) {
    for (const article of posts.querySelectorAll("article.post")) {
      const postId = Number(article.id.replace("post-", ""));
      if (!postIds.has(postId)) {
        removePost(postId);
      }
    }
  }

  // A moderator locked the thread: the reply form goes, a notice takes its place.
  function showLocked() {
    locked = true;
    replaceReplyArea("This thread is locked.");
  }

  // Unlocked again: the form would need a fresh page (and its CSRF token).
  function showUnlocked() {
    locked = false;
    replaceReplyArea("This thread is open again: reload the page to reply.");
  }

  // A moderator deleted the whole thread: no more replies, no more news.
  function showThreadDeleted() {
    threadDeleted = true;
    stopPolling();
    socket?.close();
    document.getElementById("reply")?.remove();
    showStatus("This thread has been deleted.");
  }

  // The reply form (or the notice that stands in its place) is #reply.
  function replaceReplyArea(text) {
    const notice = document.createElement("p");
    notice.id = "reply";
    notice.className = "card closed";
    // textContent, never innerHTML, for text: it is shown as it is, not read as HTML.
    notice.textContent = text;
    const replyArea = document.getElementById("reply");
    if (replyArea) {
      replyArea.replaceWith(notice);
    } else {
      status.after(notice);
    }
  }

  function showStatus(text) {
    status.textContent = text;
    status.hidden = false;
  }
}
