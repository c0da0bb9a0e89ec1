-- Exercise 10.1: two looks inside the database. Try each one in the shell of
-- `flask --app steps/10_database/chatsite shell`:
--   >>> from chatsite.db import get_db
--   >>> [tuple(row) for row in get_db().execute("SELECT ...")]

-- The thread with the most replies.
SELECT id, title FROM threads ORDER BY reply_count DESC LIMIT 1;

-- Thread 1's posts, each with its image's path, or NULL (None) for a post
-- without one. LEFT JOIN keeps every post of the left table, posts; a plain
-- JOIN would keep only the posts that have an image.
SELECT posts.id, images.path
FROM posts LEFT JOIN images ON images.post_id = posts.id
WHERE thread_id = 1;
