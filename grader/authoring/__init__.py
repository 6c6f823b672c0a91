"""The author's side of the framework: scaffolding a course or a lesson, checking a course,
and releasing what students get (one module each; the commands are in ``grader.commands``)."""
