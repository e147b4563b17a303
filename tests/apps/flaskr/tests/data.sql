INSERT INTO user (username, password)
VALUES
  ('test', 'pbkdf2:sha256:50000$RMbJsD5DsXQHTCIG$c76ccd00bc8e87117178f174a38dd6ebfe55c9248086237bb1e1839f92b29b21'),
  ('other', 'pbkdf2:sha256:50000$UzkY7A3UlN7VwSaJ$161d87d6a3c260a2f4a5fb978cae0dc664f11788c1ecaf0ca10d70046cd33318');

INSERT INTO post (title, body, author_id, created)
VALUES
  ('test title', 'test' || x'0a' || 'body', 1, '2018-01-01 00:00:00');
